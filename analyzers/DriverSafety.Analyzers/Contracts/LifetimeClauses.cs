using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>What a lifetime clause says about its target (SPEC §3.3).</summary>
    internal enum LifetimeClauseKind
    {
        Begins,
        Ends,
        RequiresState,
        RequiresNotState,
        EnsuresState,
        EnsuresNotState,
        StateTest,
    }

    /// <summary>The result of a <c>[Begins]</c> method that means the resource was begun (mirrors <c>DriverSafety.ReturnIs</c>).</summary>
    internal enum BeginWhen
    {
        Any = 0,
        True,
        False,
        Zero,
        NonZero,
        Null,
        NonNull,
    }

    /// <summary>One resolved lifetime annotation: a resource or state name on a target, with the <c>[Begins]</c>/<c>[Ends]</c> properties.</summary>
    internal sealed class LifetimeClause
    {
        public LifetimeClause(LifetimeClauseKind kind, string name, LockExpr target, LockExpr? whileLock, bool scoped, bool counted, BeginWhen when,
            string? handle, IMethodSymbol? checkedBy, ImmutableArray<string> match, Location? attribute)
        {
            Kind = kind;
            Name = name;
            Target = target;
            While = whileLock;
            Scoped = scoped;
            Counted = counted;
            When = when;
            Handle = handle;
            CheckedBy = checkedBy;
            Match = match;
            Attribute = attribute;
        }

        public LifetimeClauseKind Kind { get; }

        /// <summary>The resource or state name.</summary>
        public string Name { get; }

        /// <summary>The target, relative to the annotated member (for a <c>[StateTest]</c>: to the member's owner).</summary>
        public LockExpr Target { get; }
        public LockExpr? While { get; }
        public bool Scoped { get; }
        public bool Counted { get; }
        public BeginWhen When { get; }

        /// <summary>The <c>out</c> parameter or <c>return</c> that carries the handle.</summary>
        public string? Handle { get; }

        /// <summary>The static method the handle must be passed to before any other use (resolved; null if none or unresolved).</summary>
        public IMethodSymbol? CheckedBy { get; }

        /// <summary>The <c>[Ends]</c> parameters whose arguments must equal those of the begin.</summary>
        public ImmutableArray<string> Match { get; }

        public Location? Attribute { get; }

        public bool TargetsReturn => Target.Kind == LockRootKind.Return;

        /// <summary>Same resource (or state) on the same target expression.</summary>
        public bool SameAs(LifetimeClause other) =>
            Name == other.Name && Target.Kind == other.Target.Kind && Target.ParameterOrdinal == other.Target.ParameterOrdinal &&
            Target.Members.SequenceEqual(other.Target.Members, SymbolEqualityComparer.Default);
    }

    /// <summary>
    /// The lifetime contract of a member: its own lifetime clauses and those it inherits from overridden and interface
    /// members (as the lock contract does). Read once per symbol from <see cref="ContractProvider.OwnOf"/>.
    /// </summary>
    internal sealed class LifetimeContract
    {
        public static LifetimeContract Empty { get; } = new LifetimeContract(ImmutableArray<LifetimeClause>.Empty, noReassign: false);

        private static readonly ConditionalWeakTable<ContractProvider, Cache> Caches = new ConditionalWeakTable<ContractProvider, Cache>();

        public LifetimeContract(ImmutableArray<LifetimeClause> clauses, bool noReassign)
        {
            Clauses = clauses;
            NoReassign = noReassign;
        }

        public ImmutableArray<LifetimeClause> Clauses { get; }

        /// <summary>The field or property is <c>[NoReassign]</c>.</summary>
        public bool NoReassign { get; }

        public bool IsEmpty => Clauses.IsEmpty && !NoReassign;

        public IEnumerable<LifetimeClause> Of(LifetimeClauseKind kind) => Clauses.Where(c => c.Kind == kind);

        /// <summary>The lifetime contract of a method, field or property (inherited clauses included).</summary>
        public static LifetimeContract For(ContractProvider contracts, ISymbol symbol)
        {
            var cache = Caches.GetValue(contracts, _ => new Cache());
            symbol = symbol.OriginalDefinition;
            return cache.Contracts.TryGetValue(symbol, out var known) ? known : BuildCached(cache, contracts, symbol);
        }

        // Apart from For, so the closure is only allocated on a miss.
        private static LifetimeContract BuildCached(Cache cache, ContractProvider contracts, ISymbol symbol) =>
            cache.Contracts.GetOrAdd(symbol, s => Build(contracts, s));

        /// <summary>Whether the type (or a base type) has a member with a lifetime annotation: a new object of it starts in no state.</summary>
        public static bool TypeHasLifetimes(ContractProvider contracts, ITypeSymbol type)
        {
            var cache = Caches.GetValue(contracts, _ => new Cache());
            return cache.Types.TryGetValue(type.OriginalDefinition, out var known) ? known : TypeHasLifetimesUncached(cache, contracts, type);
        }

        private static bool TypeHasLifetimesUncached(Cache cache, ContractProvider contracts, ITypeSymbol type)
        {
            return cache.Types.GetOrAdd(type.OriginalDefinition, t =>
            {
                for (var current = t; current is not null; current = current.BaseType)
                {
                    foreach (var member in current.GetMembers())
                    {
                        if (member is IMethodSymbol or IFieldSymbol or IPropertySymbol && !For(contracts, member).Clauses.IsEmpty)
                        {
                            return true;
                        }
                    }
                }

                return false;
            });
        }

        private static LifetimeContract Build(ContractProvider contracts, ISymbol symbol)
        {
            var own = contracts.OwnOf(symbol);
            var clauses = own.Lifetimes;
            var noReassign = own.NoReassign;
            var inherited = symbol switch
            {
                IMethodSymbol method => ContractProvider.InheritedFrom(method).Select(m => (ISymbol)m),
                IPropertySymbol property => Overridden(property),
                _ => Enumerable.Empty<ISymbol>(),
            };
            foreach (var parent in inherited)
            {
                var parentOwn = contracts.OwnOf(parent.OriginalDefinition);
                clauses = clauses.AddRange(parentOwn.Lifetimes.Where(c => !clauses.Any(o => o.Kind == c.Kind && o.SameAs(c))));
                noReassign |= parentOwn.NoReassign;
            }

            return clauses.IsEmpty && !noReassign ? Empty : new LifetimeContract(clauses, noReassign);
        }

        private static IEnumerable<ISymbol> Overridden(IPropertySymbol property)
        {
            for (var overridden = property.OverriddenProperty; overridden is not null; overridden = overridden.OverriddenProperty)
            {
                yield return overridden;
            }
        }

        private sealed class Cache
        {
            public System.Collections.Concurrent.ConcurrentDictionary<ISymbol, LifetimeContract> Contracts { get; } =
                new System.Collections.Concurrent.ConcurrentDictionary<ISymbol, LifetimeContract>(SymbolEqualityComparer.Default);

            public System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, bool> Types { get; } =
                new System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
        }
    }
}
