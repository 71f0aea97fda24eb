using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>How a body is entered.</summary>
    internal enum BodyKind
    {
        /// <summary>A method, constructor, accessor or local function, entered under its own contract.</summary>
        Member,

        /// <summary>A lambda that runs later (stored, queued): entered with no lock held.</summary>
        LambdaRunsLater,

        /// <summary>A lambda converted to a delegate type with a contract: entered under that contract.</summary>
        LambdaUnderDelegateContract,

        /// <summary>A lambda passed to a member that invokes it before returning: entered in the caller's state (§7.6c).</summary>
        LambdaRunsAtOnce,
    }

    /// <summary>
    /// The executable body being analysed as its own unit (a method, constructor, accessor, lambda, or a local
    /// function that is not inlined), with its own contract resolved in its own frame.
    /// </summary>
    internal sealed class BodyContext
    {
        private readonly FlowState? _inlineState;

        public BodyContext(IMethodSymbol? symbol, MethodContract contract, SyntaxNode bodySyntax, BodyKind kind = BodyKind.Member, FlowState? inlineState = null, INamedTypeSymbol? delegateType = null)
        {
            DelegateType = delegateType;
            Symbol = symbol;
            Contract = contract;
            BodySyntax = bodySyntax;
            Kind = kind;
            _inlineState = inlineState;
            IsConstructor = symbol?.MethodKind is MethodKind.Constructor or MethodKind.StaticConstructor;
            Acquires = Resolve(contract.Acquires);
            Releases = Resolve(contract.Releases);
            // A lambda that runs at once must leave its caller's locks as it found them (§7.6c): they are its requirements.
            Requires = inlineState is null
                ? Resolve(contract.Requires)
                : inlineState.Locks.Held.Where(h => h.IsHeld).Select(h => h.Lock).ToImmutableArray();
            TryAcquires = contract.TryAcquires.SelectMany(t => t.Locks).Select(l => l.Substitute(ThisPath, ParameterPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
        }

        public IMethodSymbol? Symbol { get; }
        public MethodContract Contract { get; }
        public SyntaxNode BodySyntax { get; }
        public BodyKind Kind { get; }

        /// <summary>For a lambda, the delegate type it is converted to (its <c>[AtomicContext]</c> and lock contract apply to it).</summary>
        public INamedTypeSymbol? DelegateType { get; }
        public bool IsConstructor { get; }

        /// <summary>A lambda analysed with no lock held because it runs later: findings in it say so.</summary>
        public bool RunsLater => Kind == BodyKind.LambdaRunsLater;

        /// <summary>The locks the body declares it acquires, as access paths of its own frame.</summary>
        public ImmutableArray<AccessPath> Acquires { get; }

        /// <summary>The locks the body declares it releases.</summary>
        public ImmutableArray<AccessPath> Releases { get; }

        /// <summary>The locks the body's callers must hold (it must hold them again at every exit, §7.3).</summary>
        public ImmutableArray<AccessPath> Requires { get; }

        /// <summary>The locks the body may hand back held (its own <c>[TryAcquires]</c>).</summary>
        public ImmutableArray<AccessPath> TryAcquires { get; }

        public string Name => Symbol is null || Symbol.MethodKind == MethodKind.AnonymousFunction ? "lambda" : Symbol.Name;

        private AccessPath? ThisPath => Symbol is { IsStatic: false } ? AccessPath.This : null;

        public AccessPath? ParameterPath(int ordinal) =>
            Symbol is not null && ordinal >= 0 && ordinal < Symbol.Parameters.Length ? AccessPath.ForParameter(Symbol.Parameters[ordinal]) : null;

        /// <summary>
        /// A lambda's body: in the caller's state where it runs at once, under the contract of the delegate type it is
        /// converted to where that has one, else with no lock held.
        /// </summary>
        public static BodyContext ForLambda(IFlowAnonymousFunctionOperation lambda, INamedTypeSymbol? delegateType, ContractProvider contracts, FlowState? inlineState)
        {
            if (inlineState is not null)
            {
                return new BodyContext(lambda.Symbol, MethodContract.Empty, lambda.Syntax, BodyKind.LambdaRunsAtOnce, inlineState);
            }

            if (delegateType?.DelegateInvokeMethod is { } invoke && contracts.ForMethod(invoke) is { } contract &&
                (!contract.Requires.IsEmpty || !contract.Excludes.IsEmpty || contracts.Context.For(invoke).AtomicContext))
            {
                return new BodyContext(lambda.Symbol, contract, lambda.Syntax, BodyKind.LambdaUnderDelegateContract, delegateType: delegateType);
            }

            return new BodyContext(lambda.Symbol, MethodContract.Empty, lambda.Syntax, BodyKind.LambdaRunsLater, delegateType: delegateType);
        }

        /// <summary>
        /// The state on entry: the locks of the body's own <c>[Requires]</c> and <c>[Releases]</c> contract are held, an
        /// accessor of a <c>[GuardedBy]</c> property runs under the property's locks (shared for the getter) — the
        /// caller's access was checked where the property was read or written — and a lambda that runs at once starts
        /// in its caller's state, every hold counting as held on entry.
        /// </summary>
        public FlowState EntryState(ContractProvider contracts)
        {
            if (_inlineState is not null)
            {
                var locks = _inlineState.Locks;
                return _inlineState.WithLocks(locks.With(
                    held: locks.Held.Where(h => h.IsHeld).Select(h => h.WithOrigin(HoldOrigin.Entry)).ToImmutableArray(),
                    pending: ImmutableArray<PendingTry>.Empty,
                    guards: ImmutableArray<GuardBinding>.Empty));
            }

            var state = FlowState.Empty.WithContext(EntryContext(contracts));
            var guardedProperty = Symbol?.AssociatedSymbol is IPropertySymbol property ? contracts.ForMember(property).GuardedBy : ImmutableArray<GuardClause>.Empty;
            var getter = Symbol?.MethodKind == MethodKind.PropertyGet;
            var clauses = Contract.Requires.Concat(Contract.Releases).Concat(guardedProperty.Where(g => !getter || !g.WritesOnly).Select(g => new LockClause(g.Lock, getter, false)));
            foreach (var clause in clauses)
            {
                var path = clause.Lock.Substitute(ThisPath, ParameterPath);
                if (path is not null && state.Find(path) is null)
                {
                    state = state.WithLocks(state.Locks.Add(new HeldLock(path, clause.Shared, HoldOrigin.Entry, null, contracts.Resolver.LockKindOf(path.Type) ?? 0, false)));
                }
            }

            return state.Enter(this, contracts);
        }

        /// <summary>
        /// The context the body starts in (SPEC §3.2): atomic, or with IRQs off, where its contract (or its delegate type's)
        /// says so; a body that lowers a depth (<c>[ExitsAtomic]</c>, <c>[EnablesIrqs]</c>) starts with that depth owed.
        /// A lambda that runs later starts in process context whatever its creator held.
        /// </summary>
        private ContextState EntryContext(ContractProvider contracts)
        {
            var isLambda = Symbol is null || Symbol.MethodKind == MethodKind.AnonymousFunction;
            var context = isLambda ? contracts.Context.ForDelegate(DelegateType) : contracts.Context.For(Symbol!);
            if (context == ContextContract.Empty)
            {
                return ContextState.Empty;
            }

            var state = ContextState.Empty;
            if (context.AtomicContext)
            {
                var location = isLambda ? LambdaLocation(BodySyntax) : context.AtomicDeclaredAt;
                var name = isLambda ? "a lambda converted to '" + DelegateType?.Name + "'" : "'" + Symbol!.Name + "'";
                state = state.WithBase(context.IrqsOff ? ContextBase.IrqsOff : ContextBase.Atomic, name, location);
            }

            if (!isLambda)
            {
                state = state.With(
                    atomicRaises: context.ExitsAtomic ? ImmutableArray.Create(new IOperation?[] { null }) : ImmutableArray<IOperation?>.Empty,
                    irqRaises: context.EnablesIrqs ? ImmutableArray.Create(new IOperation?[] { null }) : ImmutableArray<IOperation?>.Empty);
            }

            return state;
        }

        private static Location LambdaLocation(SyntaxNode syntax) => syntax switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.LambdaExpressionSyntax lambda => lambda.ArrowToken.GetLocation(),
            Microsoft.CodeAnalysis.CSharp.Syntax.AnonymousMethodExpressionSyntax anonymous => anonymous.DelegateKeyword.GetLocation(),
            _ => syntax.GetLocation(),
        };

        private ImmutableArray<AccessPath> Resolve(ImmutableArray<LockClause> clauses) =>
            clauses.Select(c => c.Lock.Substitute(ThisPath, ParameterPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
    }
}
