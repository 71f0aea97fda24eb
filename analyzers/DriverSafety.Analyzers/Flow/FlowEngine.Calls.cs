using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>Call effects: a callee's lock contract, the .NET monitor, guards, summaries.</summary>
        private readonly partial struct Walk
        {
            /// <summary>Applies a call's lock contract (or, for a local function, its body; for an unannotated method, its summary).</summary>
            private FlowState? Call(IOperation site, IMethodSymbol method, IOperation? instance, ImmutableArray<IArgumentOperation> arguments, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                if (method.MethodKind == MethodKind.LocalFunction)
                {
                    return _engine.InlineLocalFunction(_info, method, arguments, state, _reporting);
                }

                if (_engine.MonitorCall(_info, site, method, arguments, state, Observer) is { } afterMonitor)
                {
                    return afterMonitor;
                }

                if (method.Name == "Dispose" && method.Parameters.IsEmpty && instance is not null && KeyOf(instance) is { } guardKey &&
                    state.Guards.FirstOrDefault(g => g.Key.Equals(guardKey)) is { } guard)
                {
                    foreach (var lockPath in guard.Locks)
                    {
                        state = Release(site, lockPath, null, state);
                    }

                    return state.With(guards: state.Guards.Remove(guard));
                }

                var contract = _engine._contracts.ForMethod(method);
                var engine = _engine;
                var info = _info;
                var thisPath = method.IsStatic || method.MethodKind == MethodKind.Constructor ? null : instance is null ? AccessPath.This : engine.PathOf(info, instance);
                AccessPath? ArgumentPath(int ordinal) => engine.PathOf(info, arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value);

                var excluded = new List<AccessPath>();
                foreach (var clause in contract.Requires)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        Observer?.LockRequired(_engine._body, site, method.AssociatedSymbol ?? method, lockPath, clause.Shared, state.Find(lockPath));
                    }
                }

                foreach (var clause in contract.Excludes)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && state.Find(lockPath) is { Maybe: false } held)
                    {
                        Observer?.ExcludedLockHeld(_engine._body, site, method, lockPath, held);
                        excluded.Add(lockPath);
                    }
                }

                foreach (var clause in contract.Releases)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        state = Release(site, lockPath, clause.Shared, state);
                    }
                }

                var acquired = ImmutableArray.CreateBuilder<AccessPath>();
                foreach (var clause in contract.Acquires)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        var held = state.Find(lockPath);
                        if (!excluded.Contains(lockPath))
                        {
                            Observer?.LockAcquired(_engine._body, site, lockPath, held);
                        }

                        if (held is not { Maybe: false })
                        {
                            state = state.AddLock(new HeldLock(lockPath, clause.Shared, false, HoldOrigin.Acquired, site, _engine.LockKindOf(lockPath), clause.DisablesIrqs));
                        }
                        else
                        {
                            // A second acquisition of a held lock is DRV1005; the original hold stays (as in Clang), so its
                            // exit and release are judged once, in the mode the code now believes it holds (an attempted
                            // read-to-write upgrade is released as a write).
                            state = state.AddLock(held.WithShared(clause.Shared));
                        }

                        if (clause.DisablesIrqs)
                        {
                            state = state.With(irqDepth: state.IrqDepth + 1);
                        }

                        acquired.Add(lockPath);
                    }
                }

                if (contract.ReturnsGuard && acquired.Count > 0)
                {
                    state = state.With(guards: state.Guards.Add(new GuardBinding(ValueKey.Operation(site), acquired.ToImmutable())));
                }

                foreach (var clause in contract.TryAcquires)
                {
                    var paths = clause.Locks.Select(l => l.Substitute(thisPath, ArgumentPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
                    if (!paths.IsEmpty)
                    {
                        state = state.With(pending: state.Pending.Add(new PendingTry(ValueKey.Operation(site), paths, clause.Shared, clause.SuccessValue, site, _engine.LockKindOf(paths[0]))));
                    }
                }

                foreach (var clause in contract.AssertsHeld)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && state.Find(lockPath) is not { Maybe: false })
                    {
                        state = state.AddLock(new HeldLock(lockPath, false, false, HoldOrigin.Asserted, site, _engine.LockKindOf(lockPath), false));
                    }
                }

                // A callee's summary matters for a diagnostic only where a lock is held (DRV1005 through it); a summary run
                // collects every acquisition.
                if (!contract.HasLockEffects && !contract.IsLockPrimitive && _engine._summaries is { } summaries && Observer is { } observer &&
                    (_engine._collectingSummary || state.Locks.Any(l => !l.Maybe)))
                {
                    foreach (var entry in summaries.Get(method).Acquires)
                    {
                        if (entry.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && !excluded.Contains(lockPath))
                        {
                            observer.CalleeAcquires(_engine._body, site, lockPath, state.Find(lockPath), method.Name + " → " + entry.Chain);
                        }
                    }
                }

                return state;
            }

            /// <summary>A release (a <c>[Releases]</c> call or a guard's disposal): the lock is no longer held, and IRQs come back on if its acquisition disabled them.</summary>
            private FlowState Release(IOperation site, AccessPath lockPath, bool? sharedRelease, FlowState state)
            {
                var held = state.Find(lockPath);
                Observer?.LockReleased(_engine._body, site, lockPath, held, sharedRelease);
                state = state.RemoveLock(lockPath);
                return held?.DisabledIrqs == true ? state.With(irqDepth: state.IrqDepth - 1) : state;
            }
        }

        private int LockKindOf(AccessPath lockPath) => _contracts.Resolver.LockKindOf(lockPath.Type) ?? 0;

        /// <summary>The C# <c>lock</c> statement and <c>Monitor.Enter/Exit</c>: a sleeping lock named by its expression.</summary>
        private FlowState? MonitorCall(CfgInfo info, IOperation site, IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, FlowState state, IFlowObserver? observer)
        {
            if (_contracts.Known.Monitor is not { } monitor || !SymbolEqualityComparer.Default.Equals(method.ContainingType, monitor) || arguments.IsEmpty)
            {
                return null;
            }

            var lockPath = PathOf(info, arguments[0].Value);
            switch (method.Name)
            {
                case "Enter":
                    if (lockPath is not null)
                    {
                        // .NET monitors are re-entrant: entering a held one nests, it does not deadlock.
                        state = state.Find(lockPath) is { Maybe: false } held
                            ? state.AddLock(held.WithDepth(held.Depth + 1))
                            : state.AddLock(new HeldLock(lockPath, false, false, HoldOrigin.Acquired, site, 0, false));
                        observer?.LockAcquired(_body, site, lockPath, null);
                    }

                    if (arguments.Length > 1 && KeyOf(arguments[1].Value) is { } taken)
                    {
                        state = state.WithKnown(taken, ConditionValue.Bool(true));
                    }

                    return state;
                case "TryEnter" when lockPath is not null:
                    if (arguments.Length > 1 && arguments[arguments.Length - 1].Parameter?.RefKind == RefKind.Ref && KeyOf(arguments[arguments.Length - 1].Value) is { } tryTaken)
                    {
                        return state.With(pending: state.Pending.Add(new PendingTry(tryTaken, ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), site, 0)));
                    }

                    return state.With(pending: state.Pending.Add(new PendingTry(ValueKey.Operation(site), ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), site, 0)));
                case "Exit" when lockPath is not null:
                    var current = state.Find(lockPath);
                    observer?.LockReleased(_body, site, lockPath, current, null);
                    return current is { Depth: > 1 } ? state.AddLock(current.WithDepth(current.Depth - 1)) : state.RemoveLock(lockPath);
                default:
                    return null;
            }
        }
    }
}
