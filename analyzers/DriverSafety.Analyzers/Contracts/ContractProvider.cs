using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// Reads the lock annotations of a symbol once per compilation into contract records, with the contracts an
    /// override or interface implementation inherits; collects the malformed ones as <see cref="AnnotationProblem"/>s.
    /// </summary>
    internal sealed partial class ContractProvider
    {
        private readonly KnownSymbols _known;
        private readonly ConcurrentDictionary<ISymbol, OwnAnnotations> _own = new ConcurrentDictionary<ISymbol, OwnAnnotations>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, MethodContract> _methods = new ConcurrentDictionary<IMethodSymbol, MethodContract>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, MemberContract> _members = new ConcurrentDictionary<ISymbol, MemberContract>(SymbolEqualityComparer.Default);

        public ContractProvider(Compilation compilation, KnownSymbols known)
        {
            _known = known;
            Models = new SemanticModels(compilation);
            Resolver = new LockExpressionResolver(compilation, known, Models);
        }

        public LockExpressionResolver Resolver { get; }

        /// <summary>The per-tree semantic models of the compilation.</summary>
        public SemanticModels Models { get; }

        public KnownSymbols Known => _known;

        public MethodContract ForMethod(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            return _methods.GetOrAdd(method, BuildMethodContract);
        }

        public MemberContract ForMember(ISymbol member)
        {
            member = member.OriginalDefinition;
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

        /// <summary>The annotation problems of the symbol's own attributes (reported once, on the declaring member).</summary>
        public ImmutableArray<AnnotationProblem> ProblemsOf(ISymbol symbol) => Own(symbol.OriginalDefinition).Problems;

        public bool IsLockGuardType(ITypeSymbol? type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (t.GetAttributes().Any(a => KnownSymbols.Is(a, _known.LockGuard)))
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
        private static IEnumerable<IMethodSymbol> InheritedFrom(IMethodSymbol method)
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
            method.GetAttributes().Any(a => KnownSymbols.Is(a, _known.NoAnalysis)) ||
            (method.AssociatedSymbol?.GetAttributes().Any(a => KnownSymbols.Is(a, _known.NoAnalysis)) ?? false);

        private OwnAnnotations Own(ISymbol symbol) => _own.GetOrAdd(symbol, Parse);

        private OwnAnnotations Parse(ISymbol symbol)
        {
            var result = new OwnAnnotations();
            var problems = ImmutableArray.CreateBuilder<AnnotationProblem>();
            foreach (var attribute in symbol.GetAttributes())
            {
                var cls = attribute.AttributeClass;
                if (cls is null || cls.ContainingNamespace?.Name != "DriverSafety")
                {
                    continue;
                }

                CheckLockVocabulary(attribute, symbol, problems);

                if (KnownSymbols.Is(attribute, _known.Acquires))
                {
                    result.Acquires = result.Acquires.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
                }
                else if (KnownSymbols.Is(attribute, _known.Releases))
                {
                    result.Releases = result.Releases.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
                }
                else if (KnownSymbols.Is(attribute, _known.Requires))
                {
                    result.Requires = result.Requires.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
                }
                else if (KnownSymbols.Is(attribute, _known.Excludes))
                {
                    result.Excludes = result.Excludes.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
                }
                else if (KnownSymbols.Is(attribute, _known.AssertsHeld))
                {
                    result.AssertsHeld = result.AssertsHeld.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
                }
                else if (KnownSymbols.Is(attribute, _known.GuardedBy))
                {
                    var writesOnly = NamedBool(attribute, "WritesOnly");
                    result.GuardedBy = result.GuardedBy.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: false).Select(c => new GuardClause(c.Lock, writesOnly)));
                }
                else if (KnownSymbols.Is(attribute, _known.TryAcquires))
                {
                    var tryClause = ParseTry(attribute, symbol, problems);
                    if (tryClause is not null)
                    {
                        result.TryAcquires = result.TryAcquires.Add(tryClause);
                    }
                }
                else if (KnownSymbols.Is(attribute, _known.Allocates))
                {
                    CheckAllocates(attribute, symbol, problems);
                }
                else
                {
                    CheckNamesOfOtherAnnotations(attribute, symbol, problems);
                }
            }

            if (symbol is IMethodSymbol method)
            {
                CheckParameterAnnotations(method, problems);
            }

            result.Problems = problems.ToImmutable();
            return result;
        }

        private TryClause? ParseTry(AttributeData attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (attribute.ConstructorArguments.Length != 2 || symbol is not IMethodSymbol method)
            {
                return null;
            }

            var success = attribute.ConstructorArguments[0].Value;
            var returnType = method.ReturnType;
            var fits = success switch
            {
                bool => returnType.SpecialType == SpecialType.System_Boolean,
                int => returnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_SByte,
                _ => false,
            };
            if (!fits)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute,
                    $"[TryAcquires({ConditionValue.FromConstant(success)})] on '{method.Name}', which returns '{returnType.ToDisplayString()}': the success value must have the method's return type (bool or int)");
                return null;
            }

            var locks = Clauses(attribute, symbol, 1, problems, defaultThis: true).Select(c => c.Lock).ToImmutableArray();
            var blocking = NamedBool(attribute, "Blocking") || method.Parameters.Any(p => p.GetAttributes().Any(a => KnownSymbols.Is(a, _known.AcquireContext)));
            return locks.IsEmpty ? null : new TryClause(locks, NamedBool(attribute, "Shared"), ConditionValue.FromConstant(success)!.Value, blocking);
        }

        private void CheckAllocates(AttributeData attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (symbol is not IMethodSymbol method || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var name = attribute.ConstructorArguments[0].Value as string;
            var parameter = method.Parameters.FirstOrDefault(p => p.Name == name);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': there is no parameter named '{name}'");
            }
            else if (!parameter.Type.GetAttributes().Any(a => KnownSymbols.Is(a, _known.AllocationFlags)))
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': parameter '{name}' is of type '{parameter.Type.ToDisplayString()}', not an [AllocationFlags] enum");
            }
        }

        private IEnumerable<LockClause> Clauses(AttributeData attribute, ISymbol symbol, int argumentIndex, ImmutableArray<AnnotationProblem>.Builder problems, bool defaultThis)
        {
            var shared = NamedBool(attribute, "Shared");
            var irqs = NamedBool(attribute, "DisablesIrqs");
            var subclass = NamedArgument(attribute, "Subclass") is int n ? n : 0;
            var name = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);
            if (attribute.ConstructorArguments.Length <= argumentIndex)
            {
                yield break;
            }

            var argument = attribute.ConstructorArguments[argumentIndex];
            if (argument.Kind != TypedConstantKind.Array)
            {
                yield break;
            }

            if (argument.IsNull)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(null)] on '{symbol.Name}': the list of lock expressions is null; name the locks, or pass none for 'this'");
                yield break;
            }

            if (argument.Values.IsEmpty)
            {
                if (!defaultThis)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on '{symbol.Name}' names no lock");
                    yield break;
                }

                if (symbol is INamedTypeSymbol { TypeKind: TypeKind.Delegate })
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on delegate type '{symbol.Name}' names no lock: name the locks by the delegate's parameters or static members");
                    yield break;
                }

                if (symbol.IsStatic)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] without arguments means 'this', which names nothing in static member '{symbol.Name}'");
                    yield break;
                }

                if (!Resolver.CanBeLock(symbol.ContainingType))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}] without arguments means 'this', but '{symbol.ContainingType?.Name}' is not a lock");
                    yield break;
                }

                yield return new LockClause(LockExpr.ThisLock, shared, irqs, subclass);
                yield break;
            }

            foreach (var value in argument.Values)
            {
                var resolved = Resolver.Resolve(value.Value as string, symbol, requireLock: true, allowReturn: false, out var problem, out var detail, attribute.ApplicationSyntaxReference);
                if (resolved is null)
                {
                    Report(problems, problem == ProblemKind.Misapplied ? Descriptors.AnnotationMisapplied : Descriptors.AnnotationDoesNotResolve, attribute,
                        $"[{name}] on '{symbol.Name}': {detail}");
                    continue;
                }

                yield return new LockClause(resolved, shared, irqs, subclass);
            }
        }

        private static bool NamedBool(AttributeData attribute, string name) => NamedArgument(attribute, name) is true;

        private static string? Named(AttributeData attribute, string name) => NamedArgument(attribute, name) as string;

        private static object? NamedArgument(AttributeData attribute, string name)
        {
            foreach (var pair in attribute.NamedArguments)
            {
                if (pair.Key == name)
                {
                    return pair.Value.Value;
                }
            }

            return null;
        }

        private static void Report(ImmutableArray<AnnotationProblem>.Builder problems, DiagnosticDescriptor descriptor, AttributeData attribute, string message)
        {
            var syntax = attribute.ApplicationSyntaxReference;
            if (syntax is null)
            {
                return;
            }

            problems.Add(new AnnotationProblem(descriptor, Location.Create(syntax.SyntaxTree, syntax.Span), message));
        }

        private sealed class OwnAnnotations
        {
            public ImmutableArray<LockClause> Acquires { get; set; } = ImmutableArray<LockClause>.Empty;
            public ImmutableArray<TryClause> TryAcquires { get; set; } = ImmutableArray<TryClause>.Empty;
            public ImmutableArray<LockClause> Releases { get; set; } = ImmutableArray<LockClause>.Empty;
            public ImmutableArray<LockClause> Requires { get; set; } = ImmutableArray<LockClause>.Empty;
            public ImmutableArray<LockClause> Excludes { get; set; } = ImmutableArray<LockClause>.Empty;
            public ImmutableArray<LockClause> AssertsHeld { get; set; } = ImmutableArray<LockClause>.Empty;
            public ImmutableArray<GuardClause> GuardedBy { get; set; } = ImmutableArray<GuardClause>.Empty;
            public ImmutableArray<AnnotationProblem> Problems { get; set; } = ImmutableArray<AnnotationProblem>.Empty;

            public bool IsEmpty => Acquires.IsEmpty && TryAcquires.IsEmpty && Releases.IsEmpty && Requires.IsEmpty && Excludes.IsEmpty && AssertsHeld.IsEmpty;
        }
    }
}
