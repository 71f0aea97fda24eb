using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>The caller must hold <see cref="Lock"/> (shared suffices where <see cref="Shared"/>).</summary>
    internal sealed class RequireLock : Effect
    {
        public RequireLock(AccessPath lockPath, bool shared)
        {
            Lock = lockPath;
            Shared = shared;
        }

        public AccessPath Lock { get; }
        public bool Shared { get; }
    }

    /// <summary>The caller must not hold <see cref="Lock"/>.</summary>
    internal sealed class ExcludeLock : Effect
    {
        public ExcludeLock(AccessPath lockPath) => Lock = lockPath;

        public AccessPath Lock { get; }
    }

    /// <summary>After the call <see cref="Lock"/> is held. A second acquisition keeps one hold (§7.22); a monitor nests.</summary>
    internal sealed class AcquireLock : Effect
    {
        public AcquireLock(AccessPath lockPath, bool shared, bool disablesIrqs, int subclass, bool reentrant, int lockKind)
        {
            Lock = lockPath;
            Shared = shared;
            DisablesIrqs = disablesIrqs;
            Subclass = subclass;
            Reentrant = reentrant;
            LockKind = lockKind;
        }

        public AccessPath Lock { get; }
        public bool Shared { get; }
        public bool DisablesIrqs { get; }
        public int Subclass { get; }
        public bool Reentrant { get; }
        public int LockKind { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var locks = state.Locks;
            var held = locks.Find(Lock);
            if (held is { IsHeld: true })
            {
                // A second acquisition of a held lock is DRV1005 (a monitor nests); the original hold stays, in the mode the
                // code now believes it holds (an attempted read-to-write upgrade is released as a write).
                return state.WithLocks(locks.Add(Reentrant ? held.WithDepth(held.Depth + 1) : held.WithShared(Shared)));
            }

            return state.WithLocks(locks.Add(new HeldLock(Lock, Shared, HoldOrigin.Acquired, context.Site.Operation, LockKind, DisablesIrqs, reentrant: Reentrant, subclass: Subclass)));
        }
    }

    /// <summary>
    /// The locks are held where the call's result (or its <c>ref</c> flag) equals <see cref="Success"/>; a dropped result
    /// leaves them held, as the code believes (§7.6).
    /// </summary>
    internal sealed class TryAcquireLock : Effect
    {
        public TryAcquireLock(ImmutableArray<AccessPath> locks, bool shared, ConditionValue success, bool blocking, bool reentrant, int lockKind, ValueKey resultKey)
        {
            Locks = locks;
            Shared = shared;
            Success = success;
            Blocking = blocking;
            Reentrant = reentrant;
            LockKind = lockKind;
            ResultKey = resultKey;
        }

        public ImmutableArray<AccessPath> Locks { get; }
        public bool Shared { get; }
        public ConditionValue Success { get; }
        public bool Blocking { get; }
        public bool Reentrant { get; }
        public int LockKind { get; }
        public ValueKey ResultKey { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var locks = state.Locks;
            if (context.Site.ResultDropped && ResultKey.IsOperation)
            {
                foreach (var lockPath in Locks)
                {
                    if (locks.Find(lockPath) is not { IsHeld: true })
                    {
                        locks = locks.Add(new HeldLock(lockPath, Shared, HoldOrigin.Acquired, context.Site.Operation, LockKind, false, resultDropped: true, reentrant: Reentrant));
                    }
                }

                return state.WithLocks(locks);
            }

            return state.WithLocks(locks.With(pending: locks.Pending.Add(new PendingTry(ResultKey, Locks, Shared, Success, context.Site.Operation, LockKind, Reentrant))));
        }
    }

    /// <summary>
    /// After the call <see cref="Lock"/> is no longer held (a monitor un-nests). <see cref="Shared"/> is the mode the
    /// release declares (null where it declares none: a guard, a monitor).
    /// </summary>
    internal sealed class ReleaseLock : Effect
    {
        public ReleaseLock(AccessPath lockPath, bool? shared, bool byGuard)
        {
            Lock = lockPath;
            Shared = shared;
            ByGuard = byGuard;
        }

        public AccessPath Lock { get; }
        public bool? Shared { get; }

        /// <summary>A guard's disposal (implicit at the end of a <c>using</c>).</summary>
        public bool ByGuard { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var locks = state.Locks;
            var held = locks.Find(Lock);
            if (held is { IsHeld: true, Reentrant: true, Depth: > 1 })
            {
                return state.WithLocks(locks.Add(held.WithDepth(held.Depth - 1)));
            }

            return state.WithLocks(locks.Remove(Lock, context.Site.Operation));
        }
    }

    /// <summary>After the call the analysis assumes <see cref="Lock"/> held (<c>lockdep_assert_held</c>).</summary>
    internal sealed class AssertLock : Effect
    {
        public AssertLock(AccessPath lockPath, int lockKind)
        {
            Lock = lockPath;
            LockKind = lockKind;
        }

        public AccessPath Lock { get; }
        public int LockKind { get; }

        public override FlowState Apply(FlowState state, EffectContext context) =>
            state.Locks.Find(Lock) is { IsHeld: true }
                ? state
                : state.WithLocks(state.Locks.Add(new HeldLock(Lock, false, HoldOrigin.Asserted, context.Site.Operation, LockKind, false)));
    }

    /// <summary>
    /// The call's result (a <c>[LockGuard]</c> value, or an object whose constructor acquired) releases the locks it
    /// acquired when disposed. A lock that was already held before the call is not the guard's: the double
    /// acquisition is one DRV1005, and the guard's disposal releases nothing (§7.22).
    /// </summary>
    internal sealed class BindGuard : Effect
    {
        public BindGuard(ImmutableArray<AccessPath> locks) => Locks = locks;

        public ImmutableArray<AccessPath> Locks { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var owned = Locks.Where(l => context.Before.Locks.Find(l) is not { IsHeld: true }).ToImmutableArray();
            var locks = state.Locks;
            return state.WithLocks(locks.With(guards: locks.Guards.Add(new GuardBinding(context.Site.ResultKey, owned))));
        }
    }

    /// <summary>The guard at <see cref="Guard"/> is disposed: it no longer releases anything.</summary>
    internal sealed class UnbindGuard : Effect
    {
        public UnbindGuard(GuardBinding guard) => Guard = guard;

        public GuardBinding Guard { get; }

        public override FlowState Apply(FlowState state, EffectContext context) =>
            state.WithLocks(state.Locks.With(guards: state.Locks.Guards.RemoveAll(g => g.Key.Equals(Guard.Key))));
    }

    /// <summary>
    /// A method converted to a delegate type requires a lock that the delegate type's own contract does not promise:
    /// whoever invokes the delegate need not hold it (SPEC §7.12a for locks).
    /// </summary>
    internal sealed class UnpromisedRequirement : Effect
    {
        public UnpromisedRequirement(LockExpr lockExpr, INamedTypeSymbol delegateType)
        {
            Lock = lockExpr;
            DelegateType = delegateType;
        }

        public LockExpr Lock { get; }
        public INamedTypeSymbol DelegateType { get; }
    }

    /// <summary>The lock family's effects from the callee's contract (SPEC §3.1).</summary>
    internal sealed class LockContractEffects : IEffectSource
    {
        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            var contract = resolution.Contracts.ForMethod(site.Method);
            if (site.ConvertedTo is { } delegateType)
            {
                AddUnpromised(contract, delegateType, resolution, effects);
                return false;
            }

            foreach (var clause in contract.Requires)
            {
                if (site.Substitute(clause.Lock) is { } lockPath)
                {
                    effects.Add(new RequireLock(lockPath, clause.Shared));
                }
            }

            foreach (var clause in contract.Excludes)
            {
                if (site.Substitute(clause.Lock) is { } lockPath)
                {
                    effects.Add(new ExcludeLock(lockPath));
                }
            }

            foreach (var clause in contract.Releases)
            {
                if (site.Substitute(clause.Lock) is { } lockPath)
                {
                    effects.Add(new ReleaseLock(lockPath, clause.Shared, byGuard: false));
                }
            }

            var acquired = ImmutableArray.CreateBuilder<AccessPath>();
            foreach (var clause in contract.Acquires)
            {
                if (site.Substitute(clause.Lock) is { } lockPath)
                {
                    effects.Add(new AcquireLock(lockPath, clause.Shared, clause.DisablesIrqs, clause.Subclass, reentrant: false, LockKindOf(resolution, lockPath)));
                    acquired.Add(lockPath);
                }
            }

            if (acquired.Count > 0 && (contract.ReturnsGuard || site.Method.MethodKind == MethodKind.Constructor))
            {
                effects.Add(new BindGuard(acquired.ToImmutable()));
            }

            foreach (var clause in contract.TryAcquires)
            {
                var paths = clause.Locks.Select(site.Substitute).Where(p => p is not null).Select(p => p!).ToImmutableArray();
                if (!paths.IsEmpty)
                {
                    effects.Add(new TryAcquireLock(paths, clause.Shared, clause.SuccessValue, clause.Blocking, reentrant: false, LockKindOf(resolution, paths[0]), site.ResultKey));
                }
            }

            foreach (var clause in contract.AssertsHeld)
            {
                if (site.Substitute(clause.Lock) is { } lockPath)
                {
                    effects.Add(new AssertLock(lockPath, LockKindOf(resolution, lockPath)));
                }
            }

            return false;
        }

        /// <summary>
        /// A method converted to a delegate type: each of its requirements that the type does not promise (a clause on one
        /// of its parameters or a static lock that the type's <c>[Requires]</c> does not state for the same parameter, and
        /// any clause on the method's own object, which no invoker can be asked to hold).
        /// </summary>
        private static void AddUnpromised(MethodContract contract, INamedTypeSymbol delegateType, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            if (contract.Requires.IsEmpty || delegateType.DelegateInvokeMethod is not { } invoke)
            {
                return;
            }

            var promised = resolution.Contracts.ForMethod(invoke).Requires;
            foreach (var clause in contract.Requires)
            {
                if (clause.Lock.Kind == LockRootKind.This || !promised.Any(p => p.Identity == clause.Identity))
                {
                    effects.Add(new UnpromisedRequirement(clause.Lock, delegateType));
                }
            }
        }

        internal static int LockKindOf(EffectResolution resolution, AccessPath lockPath) => resolution.Contracts.Resolver.LockKindOf(lockPath.Type) ?? 0;
    }
}
