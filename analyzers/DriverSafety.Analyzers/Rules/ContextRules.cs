using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Flow.Domains;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// The execution-context family (SPEC §3.2, §5, §7.7–7.12): sleeping in atomic context (DRV2001), calls that need
    /// IRQs enabled (DRV2002), unbalanced atomic or IRQ depth (DRV2003), allocation flags unknown in atomic context
    /// (DRV2004), and public members that may sleep without saying so (DRV9003). Requirements are checked in the state
    /// before the call (§7.7); at one call, one finding: DRV2002 over DRV2001 over DRV2004 (§7.22).
    /// </summary>
    internal sealed class ContextRules : FlowObserver
    {
        private readonly ContractProvider _contracts;
        private readonly ISummaryProvider? _summaries;
        private readonly Action<Diagnostic> _report;
        private readonly HashSet<IOperation> _reportedRaises = new HashSet<IOperation>();
        private readonly HashSet<Location> _reportedExits = new HashSet<Location>();

        // A body with a declared depth effect that changes no depth itself is the primitive that defines it (its word is
        // taken, §7.9); its exits are judged only if it does change a depth somewhere (a wrapper).
        private readonly List<Diagnostic> _declaredDepthAtExits = new List<Diagnostic>();
        private bool _changedDepth;

        public ContextRules(ContractProvider contracts, ISummaryProvider? summaries, Action<Diagnostic> report)
        {
            _contracts = contracts;
            _summaries = summaries;
            _report = report;
        }

        /// <summary>One direct context event of a call, before it is checked against the context.</summary>
        internal readonly struct DirectEvent
        {
            public DirectEvent(ContextEventKind kind, string reason, ContextOutcome outcome, ulong maySleepBits, ulong reclaimBits, string leaf, FlagsType? flagsType = null)
            {
                FlagsType = flagsType;
                Kind = kind;
                Reason = reason;
                Outcome = outcome;
                MaySleepBits = maySleepBits;
                ReclaimBits = reclaimBits;
                Leaf = leaf;
            }

            public ContextEventKind Kind { get; }
            public string Reason { get; }
            public ContextOutcome Outcome { get; }
            public ulong MaySleepBits { get; }
            public ulong ReclaimBits { get; }

            /// <summary>The call as the last link of a chain: <c>Kmalloc(Gfp.Kernel)</c>, <c>Thread.Sleep</c>.</summary>
            public string Leaf { get; }

            public FlagsType? FlagsType { get; }
        }

        /// <summary>
        /// The callee's summary says nothing about context: its own context contract is taken at its word (§7.9), and a
        /// virtual or interface call goes by the declared member's contract, not one override's body.
        /// </summary>
        public static bool IgnoresSummary(ContractProvider contracts, CallSite site)
        {
            var method = site.Method;
            if (contracts.Context.For(method).IsDeclared)
            {
                return true;
            }

            // A virtual or interface call runs whichever override the object has: only the declared member's contract counts.
            return site.Operation is Microsoft.CodeAnalysis.Operations.IInvocationOperation { IsVirtual: true } && !method.IsSealed;
        }

        /// <summary>A call's own context event: what it does by its contract, the models table, or the lock it takes.</summary>
        public static DirectEvent? Direct(Effect effect, CallEvent e, ContractProvider contracts, IMethodSymbol? walked)
        {
            var name = CalleeName(e.Site);
            var path = e.Before.Context.Parameters;
            switch (effect)
            {
                case MaySleep sleep:
                    return new DirectEvent(ContextEventKind.Sleeps, sleep.Reason, ContextOutcome.Decide(null, 0, path), 0, 0, name);
                case AcquireLock { LockKind: 0, Reentrant: false } acquire:
                    return new DirectEvent(ContextEventKind.Sleeps, $"it acquires sleeping lock '{acquire.Lock}'", ContextOutcome.Decide(null, 0, path), 0, 0, name);
                case TryAcquireLock { LockKind: 0, Blocking: true, Reentrant: false } tryAcquire:
                    return new DirectEvent(ContextEventKind.Sleeps, $"it may wait for sleeping lock '{tryAcquire.Locks[0]}'", ContextOutcome.Decide(null, 0, path), 0, 0, name);
                case NeedsIrqsEnabled:
                    return new DirectEvent(ContextEventKind.NeedsIrqsEnabled, "[RequiresIrqsEnabled]", ContextOutcome.Decide(null, 0, path), 0, 0, name);
                case Allocate allocate:
                    var argument = FlagBits.ArgumentOf(e.Site.Operation, allocate.FlagsParameter);
                    var flags = FlagBits.Of(argument, e.Before, walked).Clear(e.Before.Context.Mask);
                    var outcome = ContextOutcome.Decide(flags, allocate.Flags.MaySleep, path);
                    var text = argument is null ? "?" : argument.Syntax.ToString();
                    var reason = outcome.Outcome == Outcome.FlagsUnknown
                        ? $"its flags '{text}' are not known"
                        : $"its flags may contain {allocate.Flags.Type.Name}.{allocate.Flags.NamesOf((flags.One | flags.Param) & allocate.Flags.MaySleep)}";
                    return new DirectEvent(ContextEventKind.Sleeps, reason, outcome, allocate.Flags.MaySleep, allocate.Flags.Reclaim, name + "(" + text + ")", allocate.Flags);
                default:
                    return null;
            }
        }

        private static string CalleeName(CallSite site) =>
            site.Operation.Syntax.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax || (site.Operation.IsImplicit && site.Method.Name == "Enter")
                ? "lock"
                : site.Callee is IPropertySymbol property ? property.ContainingType?.Name + "." + property.Name : site.Method.ContainingType?.Name + "." + site.Method.Name;

        public override void OnCall(CallEvent e)
        {
            if (e.Effects.IsEmpty)
            {
                return;
            }

            Finding? best = null;
            var here = AtomicReason.Of(e.Before);
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case ChangeDepth change:
                        _changedDepth = true;
                        if (!change.Raise)
                        {
                            CheckLowering(e, change);
                        }

                        break;
                    case AtomicConversion conversion:
                        best = Better(best, CheckConversion(e, conversion));
                        break;
                    case SummaryEffect summary when !IgnoresSummary(_contracts, e.Site):
                        foreach (var calleeEvent in summary.Summary.Events.OfType<ContextEvent>())
                        {
                            if (calleeEvent.Chain.Links.Length >= _contracts.Context.MaxCallDepth)
                            {
                                continue;
                            }

                            var outcome = ContextOutcome.AtCall(calleeEvent, e.Site, e.Before, e.Body.Symbol);
                            var context = calleeEvent.ReleasedBefore.IsEmpty ? here : AtomicReason.AtCall(e.Before, e.Site, calleeEvent.ReleasedBefore);
                            var chain = calleeEvent.Chain.Prepend(e.Site.Callee.Name, e.Site.Location);
                            var reason = calleeEvent.Reason;
                            if (outcome.Outcome == Outcome.FlagsUnknown && calleeEvent.Flags is { ParamOrdinal: >= 0 } given &&
                                FlagBits.ArgumentOf(e.Site.Operation, given.ParamOrdinal) is { } argument)
                            {
                                reason = $"the flags '{argument.Syntax}' it is given are not known";
                            }

                            best = Better(best, Check(e, calleeEvent.Kind, reason, outcome, context, chain, calleeEvent.AtomicInMethod));
                        }

                        break;
                    default:
                        // A call's own sleep or IRQ need is a finding only in atomic context (IRQs off is atomic too): no
                        // event (and no message text) is built for the calls of process context.
                        if (here.Atomic && Direct(effect, e, _contracts, e.Body.Symbol) is { } direct)
                        {
                            best = Better(best, Check(e, direct.Kind, direct.Reason, direct.Outcome, here, CallChain.Of(direct.Leaf, e.Site.Location), null));
                        }

                        break;
                }
            }

            if (best is { } finding)
            {
                _report(Diagnostic.Create(finding.Descriptor, e.Site.Location, finding.Began is null ? null : new[] { finding.Began }, finding.Args));
            }
        }

        /// <summary>Checks one event of a call against the context before it.</summary>
        private static Finding? Check(CallEvent e, ContextEventKind kind, string reason, ContextOutcome outcome, AtomicReason context, CallChain chain, string? atomicInCallee)
        {
            var through = chain.Links.Length > 1 ? " through " + chain : string.Empty;
            var callee = e.Site.Callee.Name;
            if (kind == ContextEventKind.NeedsIrqsEnabled)
            {
                return outcome.Outcome == Outcome.Happens && context.IrqsOff
                    ? new Finding(Descriptors.CallNeedsIrqsEnabled, 3, context.Began, callee, through, context.Description)
                    : null;
            }

            switch (outcome.Outcome)
            {
                case Outcome.Happens when context.Atomic:
                    return new Finding(Descriptors.SleepInAtomicContext, 2, context.Began, callee, through, reason, context.Description);
                case Outcome.Happens when atomicInCallee is not null:
                    // The callee sleeps by the caller's flags inside its own atomic section: the caller's argument decides it.
                    return new Finding(Descriptors.SleepInAtomicContext, 2, null, callee, through, reason, $"'{e.Site.Callee.Name}' is in atomic context there ({atomicInCallee})");
                case Outcome.FlagsUnknown when context.Atomic:
                    return new Finding(Descriptors.AllocationFlagsUnknown, 1, context.Began, callee, through, reason, context.Description);
                default:
                    return null;
            }
        }

        /// <summary>
        /// A method group converted to an <c>[AtomicContext]</c> delegate type: its contract and summary must not sleep (or
        /// need IRQs enabled, for an IRQs-off type) — checked here, where the handler is registered (§7.12a).
        /// </summary>
        private Finding? CheckConversion(CallEvent e, AtomicConversion conversion)
        {
            var method = e.Site.Method;
            var context = new AtomicReason(true, conversion.IrqsOff,
                $"it is converted to '{conversion.DelegateType.Name}', which runs in atomic context{(conversion.IrqsOff ? " with IRQs disabled" : string.Empty)}", null);
            var contract = _contracts.Context.For(method);
            var name = CallChain.Of(method.Name, null);
            if (conversion.IrqsOff && contract.RequiresIrqsEnabled)
            {
                return new Finding(Descriptors.CallNeedsIrqsEnabled, 3, null, method.Name, string.Empty, context.Description);
            }

            if (contract.MightSleep)
            {
                return new Finding(Descriptors.SleepInAtomicContext, 2, null, method.Name, string.Empty, "[MightSleep]", context.Description);
            }

            if (contract.IsDeclared || _summaries is null || _contracts.ForMethod(method).IsTrusted)
            {
                return null;
            }

            Finding? best = null;
            foreach (var calleeEvent in _summaries.Get(method).Events.OfType<ContextEvent>())
            {
                // The handler's own flags parameters are its invoker's: only what happens whatever they are counts.
                var outcome = ContextOutcome.Decide(calleeEvent.Flags, calleeEvent.MaySleepBits, ImmutableArray<ParameterBits>.Empty);
                if (calleeEvent.Flags is { ParamOrdinal: >= 0 } && outcome.Outcome != Outcome.Happens)
                {
                    continue;
                }

                var chain = calleeEvent.Chain.Prepend(method.Name, null);
                best = Better(best, Check(e, calleeEvent.Kind, calleeEvent.Reason, outcome, context, chain, null));
            }

            return best;
        }

        private void CheckLowering(CallEvent e, ChangeDepth lower)
        {
            var ctx = e.Before.Context;
            var depth = lower.Kind == DepthKind.Atomic ? ctx.AtomicRaises.Length : ctx.IrqRaises.Length;
            var slack = lower.Kind == DepthKind.Atomic ? ctx.AtomicSlack : ctx.IrqSlack;
            if (depth == 0 && slack == 0)
            {
                var what = lower.Kind == DepthKind.Atomic ? "lowers the atomic depth, which is not raised here" : "enables IRQs, which are not disabled here";
                _report(Diagnostic.Create(Descriptors.UnbalancedContext, e.Site.Location, e.Site.Callee.Name, what + " (the depth would go below zero)"));
            }
        }

        public override void OnExit(ExitEvent e)
        {
            if (e.Body.Kind == BodyKind.LambdaRunsAtOnce)
            {
                // Its depth belongs to the caller's walk, which goes on after it.
                return;
            }

            var contract = e.Body.Kind == BodyKind.Member && e.Body.Symbol is { } symbol ? _contracts.Context.For(symbol) : ContextContract.Empty;
            var ctx = e.State.Context;
            CheckDepthAtExit(e, ctx.AtomicRaises, contract.EntersAtomic ? 1 : 0, "[EntersAtomic]", "[ExitsAtomic]", "raises the atomic depth", "with it still raised");
            CheckDepthAtExit(e, ctx.IrqRaises, contract.DisablesIrqs ? 1 : 0, "[DisablesIrqs]", "[EnablesIrqs]", "disables IRQs", "with them still disabled");
            foreach (var dropped in ctx.Dropped)
            {
                if (_reportedRaises.Add(dropped))
                {
                    _report(Diagnostic.Create(Descriptors.UnbalancedContext, dropped.Syntax.GetLocation(), AtomicReason.NameOf(dropped),
                        $"{What(dropped)} on some paths only: paths with different depths meet in '{e.Body.Name}'"));
                }
            }
        }

        private void CheckDepthAtExit(ExitEvent e, ImmutableArray<IOperation?> raises, int expected, string raiseAttribute, string lowerAttribute, string raisesText, string stillText)
        {
            if (raises.Length < expected)
            {
                if (_reportedExits.Add(e.Location))
                {
                    _declaredDepthAtExits.Add(Diagnostic.Create(Descriptors.UnbalancedContext, e.Location, e.Body.Name, $"declares {raiseAttribute} but exits here without the depth raised"));
                }

                return;
            }

            for (var i = expected; i < raises.Length; i++)
            {
                var raise = raises[i];
                if (raise is null)
                {
                    if (_reportedExits.Add(e.Location))
                    {
                        _declaredDepthAtExits.Add(Diagnostic.Create(Descriptors.UnbalancedContext, e.Location, e.Body.Name, $"declares {lowerAttribute} but exits here without lowering the depth"));
                    }
                }
                else if (_reportedRaises.Add(raise))
                {
                    _report(Diagnostic.Create(Descriptors.UnbalancedContext, raise.Syntax.GetLocation(), new[] { e.Location }, AtomicReason.NameOf(raise), $"{raisesText} and '{e.Body.Name}' can exit {stillText}"));
                }
            }
        }

        private string What(IOperation raise) =>
            raise is Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation && _contracts.Context.For(invocation.TargetMethod).DisablesIrqs
                ? "disables IRQs"
                : "raises the atomic depth";

        /// <summary>DRV9003: a method visible outside the assembly that may sleep without <c>[MightSleep]</c> (§7.12).</summary>
        public override void OnBodyDone(BodyContext body)
        {
            if (_changedDepth)
            {
                foreach (var diagnostic in _declaredDepthAtExits)
                {
                    _report(diagnostic);
                }
            }

            _declaredDepthAtExits.Clear();
            _changedDepth = false;
            ReportUndeclaredSleep(body);
        }

        private void ReportUndeclaredSleep(BodyContext body)
        {
            if (body.Kind != BodyKind.Member || body.Symbol is not { } method || _summaries is null || !VisibleOutside(method) ||
                method.MethodKind is not (MethodKind.Ordinary or MethodKind.Constructor or MethodKind.PropertyGet or MethodKind.PropertySet))
            {
                return;
            }

            var contract = _contracts.Context.For(method);
            if (contract.MightSleep || _contracts.ForMethod(method).IsTrusted || method.IsImplicitlyDeclared)
            {
                return;
            }

            ContextEvent? definite = null, byFlags = null;
            foreach (var sleep in _summaries.Get(method).Events.OfType<ContextEvent>())
            {
                if (sleep.Kind != ContextEventKind.Sleeps || sleep.ReportedInCallee)
                {
                    continue;
                }

                // A sleep on a path that the method's own flag tests decide, or by its flags parameter, is "by its flags".
                var outcome = ContextOutcome.Decide(sleep.Flags, sleep.MaySleepBits, ImmutableArray<ParameterBits>.Empty);
                if (outcome.Outcome == Outcome.Happens && !sleep.Path.IsEmpty)
                {
                    byFlags ??= sleep;
                }
                else if (outcome.Outcome == Outcome.Happens)
                {
                    definite ??= sleep;
                }
                else if (outcome.Outcome == Outcome.DependsOnCaller)
                {
                    byFlags ??= sleep;
                }
            }

            var evidence = definite ?? (contract.AllocatesParameter >= 0 ? null : byFlags);
            if (evidence is null || method.Locations.FirstOrDefault(l => l.IsInSource) is not { } location)
            {
                return;
            }

            var flagsOrdinal = byFlags?.Flags is { ParamOrdinal: >= 0 } f ? f.ParamOrdinal : byFlags?.Path.FirstOrDefault().Ordinal ?? -1;
            var flagsParameter = definite is null && flagsOrdinal is >= 0 and var ordinal && ordinal < method.Parameters.Length
                ? $", or [Allocates(\"{method.Parameters[ordinal].Name}\")] since it sleeps only by its flags"
                : string.Empty;
            var chain = evidence.Chain.Links.Length > 0 ? evidence.Chain.ToString() : method.Name;
            _report(Diagnostic.Create(Descriptors.PublicMemberMaySleep, location, method.Name, chain, evidence.Reason, flagsParameter));
        }

        private static bool VisibleOutside(ISymbol symbol)
        {
            for (var s = symbol; s is not null && s is not INamespaceSymbol; s = s.ContainingSymbol)
            {
                if (s.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                {
                    return false;
                }
            }

            return true;
        }

        private static Finding? Better(Finding? current, Finding? candidate) =>
            candidate is null ? current : current is null || candidate.Value.Rank > current.Value.Rank ? candidate : current;

        /// <summary>A candidate finding at one call; the highest rank wins (§7.22: DRV2002 over DRV2001 over DRV2004).</summary>
        private readonly struct Finding
        {
            public Finding(DiagnosticDescriptor descriptor, int rank, Location? began, params object[] args)
            {
                Descriptor = descriptor;
                Rank = rank;
                Began = began;
                Args = args.Select(a => a.ToString()).ToArray();
            }

            public DiagnosticDescriptor Descriptor { get; }
            public int Rank { get; }
            public Location? Began { get; }
            public object[] Args { get; }
        }
    }
}
