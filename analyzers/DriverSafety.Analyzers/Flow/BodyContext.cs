using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The executable body being analysed as its own unit (a method, constructor, accessor, lambda, or a local
    /// function that nobody calls), with its own lock contract resolved in its own frame.
    /// </summary>
    internal sealed class BodyContext
    {
        public BodyContext(IMethodSymbol? symbol, MethodContract contract, SyntaxNode bodySyntax)
        {
            Symbol = symbol;
            Contract = contract;
            BodySyntax = bodySyntax;
            IsConstructor = symbol?.MethodKind is MethodKind.Constructor or MethodKind.StaticConstructor;
            Acquires = Resolve(contract.Acquires);
            Releases = Resolve(contract.Releases);
            TryAcquires = contract.TryAcquires.SelectMany(t => t.Locks).Select(l => l.Substitute(ThisPath, ParameterPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
        }

        public IMethodSymbol? Symbol { get; }
        public MethodContract Contract { get; }
        public SyntaxNode BodySyntax { get; }
        public bool IsConstructor { get; }

        /// <summary>The locks the body declares it acquires, as access paths of its own frame.</summary>
        public ImmutableArray<AccessPath> Acquires { get; }

        /// <summary>The locks the body declares it releases.</summary>
        public ImmutableArray<AccessPath> Releases { get; }

        /// <summary>The locks the body may hand back held (its own <c>[TryAcquires]</c>).</summary>
        public ImmutableArray<AccessPath> TryAcquires { get; }

        public string Name => Symbol is null ? "lambda" : Symbol.MethodKind == MethodKind.AnonymousFunction ? "lambda" : Symbol.Name;

        private AccessPath? ThisPath => Symbol is { IsStatic: false } ? AccessPath.This : null;

        public AccessPath? ParameterPath(int ordinal) =>
            Symbol is not null && ordinal >= 0 && ordinal < Symbol.Parameters.Length ? AccessPath.ForParameter(Symbol.Parameters[ordinal]) : null;

        /// <summary>
        /// The state on entry: the locks of the body's own <c>[Requires]</c> and <c>[Releases]</c> contract are held, and an
        /// accessor of a <c>[GuardedBy]</c> property runs under the property's locks (shared for the getter) — the
        /// caller's access was checked where the property was read or written.
        /// </summary>
        public FlowState EntryState(ContractProvider contracts)
        {
            var state = FlowState.Empty;
            var guardedProperty = Symbol?.AssociatedSymbol is IPropertySymbol property ? contracts.ForMember(property).GuardedBy : ImmutableArray<LockExpr>.Empty;
            var getter = Symbol?.MethodKind == MethodKind.PropertyGet;
            var clauses = Contract.Requires.Concat(Contract.Releases).Concat(guardedProperty.Select(g => new LockClause(g, getter, false)));
            foreach (var clause in clauses)
            {
                var path = clause.Lock.Substitute(ThisPath, ParameterPath);
                if (path is not null && state.Find(path) is null)
                {
                    state = state.AddLock(new HeldLock(path, clause.Shared, false, HoldOrigin.Entry, null, contracts.Resolver.LockKindOf(path.Type) ?? 0, false));
                }
            }

            return state;
        }

        private ImmutableArray<AccessPath> Resolve(ImmutableArray<LockClause> clauses) =>
            clauses.Select(c => c.Lock.Substitute(ThisPath, ParameterPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
    }
}
