using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// Reads the lock annotations of a symbol once per compilation into contract records, with the contracts an
    /// override or interface implementation inherits; collects the malformed ones as <see cref="AnnotationProblem"/>s.
    /// </summary>
    internal sealed class ContractProvider
    {
        private readonly KnownSymbols _known;
        private readonly ImmutableArray<Readers.AnnotationReader> _readers;
        private readonly ConcurrentDictionary<ISymbol, OwnAnnotations> _own = new ConcurrentDictionary<ISymbol, OwnAnnotations>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, MethodContract> _methods = new ConcurrentDictionary<IMethodSymbol, MethodContract>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, MemberContract> _members = new ConcurrentDictionary<ISymbol, MemberContract>(SymbolEqualityComparer.Default);

        public ContractProvider(Compilation compilation, KnownSymbols known)
        {
            _known = known;
            Models = new SemanticModels(compilation);
            Resolver = new LockExpressionResolver(compilation, known, Models);
            Context = new ContextContracts(known);
            _readers = ImmutableArray.Create<Readers.AnnotationReader>(
                new Readers.LockAnnotationReader(known, Resolver),
                new Readers.ContextAnnotationReader(known, Resolver, Context.Flags),
                new Readers.LifetimeAnnotationReader(known, Resolver),
                new Readers.OrderingAnnotationReader(known, Resolver));
        }

        public LockExpressionResolver Resolver { get; }

        /// <summary>The execution-context family's contracts and allocation-flags enums.</summary>
        public ContextContracts Context { get; }

        /// <summary>The per-tree semantic models of the compilation.</summary>
        public SemanticModels Models { get; }

        public KnownSymbols Known => _known;

        public MethodContract ForMethod(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            return _methods.TryGetValue(method, out var known) ? known : _methods.GetOrAdd(method, BuildMethodContract);
        }

        public MemberContract ForMember(ISymbol member)
        {
            member = member.OriginalDefinition;
            if (_members.TryGetValue(member, out var known))
            {
                return known;
            }

            return _members.GetOrAdd(member, m =>
            {
                var own = Own(m);
                if (m is IPropertySymbol property)
                {
                    var guarded = own.GuardedBy;
                    var requires = own.Requires;
                    for (var overridden = property.OverriddenProperty; overridden is not null; overridden = overridden.OverriddenProperty)
                    {
                        var inherited = Own(overridden.OriginalDefinition);
                        guarded = guarded.AddRange(inherited.GuardedBy);
                        requires = requires.AddRange(inherited.Requires);
                    }

                    return guarded.IsEmpty && requires.IsEmpty ? MemberContract.Empty : new MemberContract(guarded, requires);
                }

                return own.GuardedBy.IsEmpty ? MemberContract.Empty : new MemberContract(own.GuardedBy, ImmutableArray<LockClause>.Empty);
            });
        }

        /// <summary>The symbol's own annotations as the family readers parsed them (not inherited).</summary>
        public OwnAnnotations OwnOf(ISymbol symbol) => Own(symbol.OriginalDefinition);

        /// <summary>The annotation problems of the symbol's own attributes (reported once, on the declaring member).</summary>
        public ImmutableArray<AnnotationProblem> ProblemsOf(ISymbol symbol) => Own(symbol.OriginalDefinition).Problems;

        public bool IsLockGuardType(ITypeSymbol? type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (_known.AttributesOf(t).Any(a => KnownSymbols.Is(a, _known.LockGuard)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True for members of a <c>[LockType]</c> or <c>[LockGuard]</c> type: the primitives' own implementation.</summary>
        public bool IsLockPrimitiveMember(ISymbol symbol)
        {
            for (var type = symbol.ContainingType; type is not null; type = type.ContainingType)
            {
                if (Resolver.IsLockType(type) || IsLockGuardType(type))
                {
                    return true;
                }
            }

            return false;
        }

        private MethodContract BuildMethodContract(IMethodSymbol method)
        {
            var parts = new List<OwnAnnotations> { Own(method) };
            foreach (var inherited in InheritedFrom(method))
            {
                parts.Add(Own(inherited.OriginalDefinition));
            }

            if (method.AssociatedSymbol is IPropertySymbol property)
            {
                // [Requires] on a property (or indexer) applies to its accessors.
                parts.Add(new OwnAnnotations { Requires = ForMember(property).Requires });
            }

            if (method.MethodKind == MethodKind.DelegateInvoke && method.ContainingType is { } delegateType)
            {
                // [Requires]/[Excludes] on a delegate type apply to every invocation of it.
                parts.Add(Own(delegateType.OriginalDefinition));
            }

            var returnsGuard = IsLockGuardType(method.MethodKind == MethodKind.Constructor ? method.ContainingType : method.ReturnType);
            var trusted = IsLockPrimitiveMember(method) || HasNoAnalysis(method);
            if (parts.All(p => p.IsEmpty) && !returnsGuard && !trusted)
            {
                return MethodContract.Empty;
            }

            return new MethodContract(
                Distinct(parts.SelectMany(p => p.Acquires)),
                DistinctTries(parts.SelectMany(p => p.TryAcquires)),
                Distinct(parts.SelectMany(p => p.Releases)),
                Distinct(parts.SelectMany(p => p.Requires)),
                Distinct(parts.SelectMany(p => p.Excludes)),
                Distinct(parts.SelectMany(p => p.AssertsHeld)),
                returnsGuard,
                trusted);
        }

        /// <summary>The overridden methods and the interface members this method implements: their contracts apply to it.</summary>
        internal static IEnumerable<IMethodSymbol> InheritedFrom(IMethodSymbol method)
        {
            for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
            {
                yield return overridden;
            }

            foreach (var explicitImpl in method.ExplicitInterfaceImplementations)
            {
                yield return explicitImpl;
            }

            var type = method.ContainingType;
            if (type is null || method.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.PropertySet))
            {
                yield break;
            }

            foreach (var iface in type.AllInterfaces)
            {
                foreach (var member in iface.GetMembers(method.Name).OfType<IMethodSymbol>())
                {
                    if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member)?.OriginalDefinition, method))
                    {
                        yield return member;
                    }
                }
            }
        }

        /// <summary>One clause per lock after resolution: an interface's clause restated on its implementation with other parameter names is one clause (§7.4).</summary>
        private static ImmutableArray<LockClause> Distinct(IEnumerable<LockClause> clauses)
        {
            var seen = new HashSet<string>();
            return clauses.Where(c => seen.Add(c.Identity)).ToImmutableArray();
        }

        private static ImmutableArray<TryClause> DistinctTries(IEnumerable<TryClause> clauses)
        {
            var seen = new HashSet<string>();
            return clauses.Where(c => seen.Add(string.Join(",", c.Locks.Select(Summaries.LockIdentity.Of)) + "|" + c.Shared + "|" + c.SuccessValue)).ToImmutableArray();
        }

        /// <summary><c>[NoAnalysis]</c> on the method, or on the property or event it is an accessor of.</summary>
        private bool HasNoAnalysis(IMethodSymbol method) =>
            _known.AttributesOf(method).Any(a => KnownSymbols.Is(a, _known.NoAnalysis)) ||
            (_known.Has(method.AssociatedSymbol, _known.NoAnalysis));

        private OwnAnnotations Own(ISymbol symbol) => _own.TryGetValue(symbol, out var known) ? known : _own.GetOrAdd(symbol, Parse);

        private OwnAnnotations Parse(ISymbol symbol)
        {
            var result = new OwnAnnotations();
            var problems = ImmutableArray.CreateBuilder<AnnotationProblem>();
            foreach (var attribute in _known.AttributesOf(symbol))
            {
                if (attribute.AttributeClass?.ContainingNamespace?.Name != "DriverSafety")
                {
                    continue;
                }

                foreach (var reader in _readers)
                {
                    if (reader.Reads(attribute))
                    {
                        reader.Read(attribute, symbol, result, problems);
                        break;
                    }
                }
            }

            if (symbol is IMethodSymbol method)
            {
                foreach (var reader in _readers)
                {
                    reader.ReadParameters(method, problems);
                }
            }

            result.Problems = problems.ToImmutable();
            return result;
        }

    }
}
