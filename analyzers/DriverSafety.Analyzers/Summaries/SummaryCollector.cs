using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>
    /// Observes a summary run of one body and records the events it causes, translated into the summarised method's
    /// own frame: its direct acquisitions, and its callees' events with the call prepended to their chains.
    /// </summary>
    internal sealed class SummaryCollector : FlowObserver
    {
        private readonly IMethodSymbol _method;
        private readonly BodyContext _body;
        private readonly ContractProvider _contracts;
        private readonly Dictionary<string, SummaryEvent> _found = new Dictionary<string, SummaryEvent>();

        public SummaryCollector(IMethodSymbol method, BodyContext body, ContractProvider contracts)
        {
            _method = method;
            _body = body;
            _contracts = contracts;
        }

        public MethodSummary Result() =>
            new MethodSummary(_found.OrderBy(p => p.Key, System.StringComparer.Ordinal).Select(p => p.Value).ToImmutableArray());

        public override void OnCall(CallEvent e)
        {
            var heldAt = HeldAt(e.Before);
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock acquire:
                        Add(Acquisition(e, acquire.Lock, acquire.Subclass, blocking: true, acquire.Reentrant, heldAt));
                        break;
                    case TryAcquireLock tryAcquire:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            Add(Acquisition(e, lockPath, 0, tryAcquire.Blocking || WithAcquireContext(e.Site.Method), tryAcquire.Reentrant, heldAt));
                        }

                        break;
                    case SummaryEffect summary:
                        foreach (var calleeEvent in summary.Summary.Events)
                        {
                            if (calleeEvent is AcquisitionEvent acquisition)
                            {
                                Add(Translate(e, acquisition, heldAt));
                            }
                        }

                        break;
                }
            }
        }

        private AcquisitionEvent Acquisition(CallEvent e, AccessPath lockPath, int subclass, bool blocking, bool reentrant, ImmutableArray<LockExpr> heldAt)
        {
            var before = e.Before.Find(lockPath);
            var releasedFirst = before is not { IsHeld: true } && _body.Requires.Contains(lockPath);
            var ownDeadlock = before is { IsHeld: true, Origin: HoldOrigin.Entry } && !reentrant;
            var name = e.Site.Operation.Syntax.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax || e.Site.Operation.IsImplicit && e.Site.Method.Name == "Enter"
                ? "lock"
                : e.Site.Method.ContainingType?.Name + "." + e.Site.Method.Name;
            return new AcquisitionEvent(ToExpr(lockPath), LockClass.Of(lockPath, subclass), blocking, reentrant, WithAcquireContext(e.Site.Method), releasedFirst,
                CallChain.Of(name, e.Site.Location), heldAt, null, ownDeadlock);
        }

        private AcquisitionEvent Translate(CallEvent e, AcquisitionEvent callee, ImmutableArray<LockExpr> heldAt)
        {
            var path = callee.Lock is null ? null : e.Site.Substitute(callee.Lock);
            var lockClass = path is null ? callee.Class : LockClass.Of(path, callee.Class?.Subclass ?? 0);
            var before = path is null ? null : e.Before.Find(path);
            var ownDeadlock = callee.ReportedInCallee || (before is { IsHeld: true, Origin: HoldOrigin.Entry } && !callee.Reentrant && !callee.ReleasedRequiredFirst);
            var calleeHeld = callee.HeldAt.Select(e.Site.Substitute).Where(p => p is not null).Select(p => ToExpr(p!)).Where(x => x is not null).Select(x => x!);
            return new AcquisitionEvent(path is null ? null : ToExpr(path), lockClass, callee.Blocking, callee.Reentrant, callee.WithAcquireContext,
                callee.ReleasedRequiredFirst, callee.Chain.Prepend(e.Site.Method.Name, e.Site.Location), heldAt.AddRange(calleeHeld), null, ownDeadlock);
        }

        private bool WithAcquireContext(IMethodSymbol method) =>
            method.Parameters.Any(p => p.GetAttributes().Any(a => KnownSymbols.Is(a, _contracts.Known.AcquireContext)));

        private ImmutableArray<LockExpr> HeldAt(FlowState state) =>
            state.Locks.Held.Where(h => h.IsHeld).Select(h => ToExpr(h.Lock)).Where(x => x is not null).Select(x => x!).ToImmutableArray();

        /// <summary>The lock expression of <paramref name="lockPath"/> in the summarised method's frame, or null where the frame cannot name it (a local).</summary>
        private LockExpr? ToExpr(AccessPath lockPath) => lockPath.Kind switch
        {
            PathRootKind.This => new LockExpr(LockRootKind.This, -1, null, lockPath.Members, lockPath.ToString()),
            PathRootKind.Static => new LockExpr(LockRootKind.Static, -1, (INamedTypeSymbol)lockPath.Root!, lockPath.Members, lockPath.ToString()),
            PathRootKind.Parameter when lockPath.Root is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, _method.OriginalDefinition) =>
                new LockExpr(LockRootKind.Parameter, parameter.Ordinal, null, lockPath.Members, lockPath.ToString()),
            _ => null,
        };

        private void Add(AcquisitionEvent acquisition)
        {
            if (!_found.ContainsKey(acquisition.Identity))
            {
                _found.Add(acquisition.Identity, acquisition);
            }
        }
    }
}
