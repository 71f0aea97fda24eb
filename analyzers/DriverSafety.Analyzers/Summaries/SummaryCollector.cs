using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>Records one family's summary events from a summary run's call events.</summary>
    internal interface ISummaryRecorder
    {
        void OnCall(CallEvent e, SummaryCollector collector);
    }

    /// <summary>
    /// Observes a summary run of one body and records the events it causes, translated into the summarised method's
    /// own frame, through each family's recorder: its direct events, and its callees' events with the call prepended
    /// to their chains. A family adds its recorder to <see cref="Recorders"/> with one line.
    /// </summary>
    internal sealed class SummaryCollector : FlowObserver
    {
        private static readonly ImmutableArray<ISummaryRecorder> Recorders = ImmutableArray.Create<ISummaryRecorder>(
            new LockSummaryRecorder(),
            new ContextSummaryRecorder());

        private readonly Dictionary<string, SummaryEvent> _found = new Dictionary<string, SummaryEvent>();

        public SummaryCollector(IMethodSymbol method, BodyContext body, ContractProvider contracts)
        {
            Method = method;
            Body = body;
            Contracts = contracts;
        }

        public IMethodSymbol Method { get; }
        public BodyContext Body { get; }
        public ContractProvider Contracts { get; }

        public MethodSummary Result() =>
            new MethodSummary(_found.OrderBy(p => p.Key, System.StringComparer.Ordinal).Select(p => p.Value).ToImmutableArray());

        public override void OnCall(CallEvent e)
        {
            foreach (var recorder in Recorders)
            {
                recorder.OnCall(e, this);
            }
        }

        /// <summary>Adds an event (the first witness of each fact is kept).</summary>
        public void Add(SummaryEvent summaryEvent)
        {
            if (!_found.ContainsKey(summaryEvent.Identity))
            {
                _found.Add(summaryEvent.Identity, summaryEvent);
            }
        }

        /// <summary>The locks held at a point, as lock expressions of the summarised method's frame.</summary>
        public ImmutableArray<LockExpr> HeldAt(FlowState state) =>
            state.Locks.Held.Where(h => h.IsHeld).Select(h => ToExpr(h.Lock)).Where(x => x is not null).Select(x => x!).ToImmutableArray();

        /// <summary>The lock expression of <paramref name="lockPath"/> in the summarised method's frame, or null where the frame cannot name it (a local).</summary>
        public LockExpr? ToExpr(AccessPath lockPath) => lockPath.Kind switch
        {
            PathRootKind.This => new LockExpr(LockRootKind.This, -1, null, lockPath.Members, lockPath.ToString()),
            PathRootKind.Static => new LockExpr(LockRootKind.Static, -1, (INamedTypeSymbol)lockPath.Root!, lockPath.Members, lockPath.ToString()),
            PathRootKind.Parameter when lockPath.Root is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, Method.OriginalDefinition) =>
                new LockExpr(LockRootKind.Parameter, parameter.Ordinal, null, lockPath.Members, lockPath.ToString()),
            _ => null,
        };
    }

    /// <summary>The lock family's summary events: acquisitions, direct and through callees.</summary>
    internal sealed class LockSummaryRecorder : ISummaryRecorder
    {
        public void OnCall(CallEvent e, SummaryCollector collector)
        {
            var heldAt = collector.HeldAt(e.Before);
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock acquire:
                        collector.Add(Acquisition(collector, e, acquire.Lock, acquire.Subclass, blocking: true, acquire.Reentrant, heldAt));
                        break;
                    case TryAcquireLock tryAcquire:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            collector.Add(Acquisition(collector, e, lockPath, 0, tryAcquire.Blocking || WithAcquireContext(collector, e.Site.Method), tryAcquire.Reentrant, heldAt));
                        }

                        break;
                    case SummaryEffect summary:
                        foreach (var calleeEvent in summary.Summary.Events)
                        {
                            if (calleeEvent is AcquisitionEvent acquisition)
                            {
                                collector.Add(Translate(collector, e, acquisition, heldAt));
                            }
                        }

                        break;
                }
            }
        }

        private static AcquisitionEvent Acquisition(SummaryCollector collector, CallEvent e, AccessPath lockPath, int subclass, bool blocking, bool reentrant, ImmutableArray<LockExpr> heldAt)
        {
            var before = e.Before.Find(lockPath);
            var releasedFirst = before is not { IsHeld: true } && collector.Body.Requires.Contains(lockPath);
            var ownDeadlock = before is { IsHeld: true, Origin: HoldOrigin.Entry } && !reentrant;
            var name = e.Site.Operation.Syntax.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax || e.Site.Operation.IsImplicit && e.Site.Method.Name == "Enter"
                ? "lock"
                : e.Site.Method.ContainingType?.Name + "." + e.Site.Method.Name;
            return new AcquisitionEvent(collector.ToExpr(lockPath), LockClass.Of(lockPath, subclass), blocking, reentrant, WithAcquireContext(collector, e.Site.Method), releasedFirst,
                CallChain.Of(name, e.Site.Location), heldAt, null, ownDeadlock, OwnParameter(collector, e.Site, Rules.AcquireContexts.ParameterOf(e.Site.Method, collector.Contracts.Known)));
        }

        private static AcquisitionEvent Translate(SummaryCollector collector, CallEvent e, AcquisitionEvent callee, ImmutableArray<LockExpr> heldAt)
        {
            var path = callee.Lock is null ? null : e.Site.Substitute(callee.Lock);
            var lockClass = path is null ? callee.Class : LockClass.Of(path, callee.Class?.Subclass ?? 0);
            var before = path is null ? null : e.Before.Find(path);
            var ownDeadlock = callee.ReportedInCallee || (before is { IsHeld: true, Origin: HoldOrigin.Entry } && !callee.Reentrant && !callee.ReleasedRequiredFirst);
            var calleeHeld = callee.HeldAt.Select(e.Site.Substitute).Where(p => p is not null).Select(p => collector.ToExpr(p!)).Where(x => x is not null).Select(x => x!);
            return new AcquisitionEvent(path is null ? null : collector.ToExpr(path), lockClass, callee.Blocking, callee.Reentrant, callee.WithAcquireContext,
                callee.ReleasedRequiredFirst, callee.Chain.Prepend(e.Site.Method.Name, e.Site.Location), heldAt.AddRange(calleeHeld), null, ownDeadlock,
                OwnParameter(collector, e.Site, callee.ContextParameter));
        }

        /// <summary>The summarised method's own parameter passed at <paramref name="ordinal"/> of the call (the acquire context), or -1.</summary>
        private static int OwnParameter(SummaryCollector collector, CallSite site, int ordinal) =>
            ordinal >= 0 && site.Argument(ordinal) is { Kind: PathRootKind.Parameter, Members.IsEmpty: true, Root: IParameterSymbol parameter } &&
            SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, collector.Method.OriginalDefinition)
                ? parameter.Ordinal
                : -1;

        private static bool WithAcquireContext(SummaryCollector collector, IMethodSymbol method) =>
            method.Parameters.Any(p => collector.Contracts.Known.AttributesOf(p).Any(a => KnownSymbols.Is(a, collector.Contracts.Known.AcquireContext)));
    }
}
