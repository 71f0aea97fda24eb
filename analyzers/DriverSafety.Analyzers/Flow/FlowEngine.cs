using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The one dataflow engine. Each executable body is walked over Roslyn's <see cref="ControlFlowGraph"/>: the
    /// state at a block entry is the join of its forward predecessors' exit states, a loop head compares its back
    /// edges with that (each family's domain decides what a back edge brings), loops iterate to a fixpoint, and a final
    /// reporting pass over the fixed states raises the events that rule families observe.
    /// <para>
    /// Bound: a block's transfer runs at most <see cref="MaxVisitsPerBlock"/> times per run of its region, and a
    /// body's whole analysis (finally regions and inlined local functions and lambdas included) at most
    /// <see cref="MaxStepsPerBody"/> block transfers; the work per body therefore grows linearly with its size.
    /// A body that exhausts either budget is reported as <see cref="Truncated"/> and yields no diagnostics rather than
    /// wrong ones: no state that is not a fixpoint is ever reported on.
    /// </para>
    /// </summary>
    internal sealed partial class FlowEngine
    {
        /// <summary>How often one block is re-analysed in one region run; a block that needs more truncates the body.</summary>
        public const int MaxVisitsPerBlock = 12;

        /// <summary>Hard cap on block transfers for one body, all regions and inlined local functions included.</summary>
        public const int MaxStepsPerBody = 200_000;

        /// <summary>How deep calls to local functions are followed (inlined) before a call is taken as having no effect.</summary>
        public const int MaxInlineDepth = 6;

        private readonly ContractProvider _contracts;
        private readonly ISummaryProvider? _summaries;
        private readonly IFlowObserver _observer;
        private readonly CancellationToken _cancellation;
        private readonly CallResolver _calls;
        private readonly Dictionary<ControlFlowGraph, CfgInfo> _cfgInfo = new Dictionary<ControlFlowGraph, CfgInfo>();
        private readonly Dictionary<(ControlFlowRegion Region, FlowState State, bool Reporting), FlowState?> _finallyRuns = new Dictionary<(ControlFlowRegion, FlowState, bool), FlowState?>();
        private readonly Dictionary<(IMethodSymbol Function, FlowState State, bool Reporting, string Aliases), FlowState?> _inlineRuns = new Dictionary<(IMethodSymbol, FlowState, bool, string), FlowState?>();
        private readonly Dictionary<IParameterSymbol, AccessPath> _parameterAliases = new Dictionary<IParameterSymbol, AccessPath>(SymbolEqualityComparer.Default);
        private readonly List<IMethodSymbol> _inlineStack = new List<IMethodSymbol>();
        private readonly HashSet<IMethodSymbol> _inlined = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        private readonly List<PendingLambda> _lambdas = new List<PendingLambda>();
        private readonly Dictionary<IFlowAnonymousFunctionOperation, PendingLambda> _lambdaSeen = new Dictionary<IFlowAnonymousFunctionOperation, PendingLambda>();
        private readonly List<(ControlFlowGraph Parent, IMethodSymbol Function)> _localFunctions = new List<(ControlFlowGraph, IMethodSymbol)>();

        private BodyContext _body = null!;

        public FlowEngine(ContractProvider contracts, ISummaryProvider? summaries, IFlowObserver observer, CancellationToken cancellation, bool collectingSummary = false)
        {
            _contracts = contracts;
            _summaries = summaries;
            _observer = observer;
            _cancellation = cancellation;
            _calls = new CallResolver(new EffectResolution(contracts, summaries, collectingSummary));
        }

        /// <summary>Block transfers executed so far (the engine's unit of work).</summary>
        public int Steps { get; private set; }

        /// <summary>A budget ran out: the results are incomplete and nothing was reported.</summary>
        public bool Truncated { get; private set; }

        /// <summary>
        /// Analyses a body and, as their own bodies, every lambda in it (in the caller's state where it runs at once, under
        /// its delegate type's contract, or else with no lock held) and every local function it does not inline.
        /// </summary>
        public void AnalyzeBody(ControlFlowGraph cfg, BodyContext body)
        {
            RunTopLevel(cfg, body, body.EntryState(_contracts));
            CollectLocalFunctions(cfg);

            for (var i = 0; i < _lambdas.Count && !Truncated; i++)
            {
                var pending = _lambdas[i];
                var lambdaCfg = pending.Parent.GetAnonymousFunctionControlFlowGraph(pending.Lambda);
                var context = BodyContext.ForLambda(pending.Lambda, pending.DelegateType, _contracts, pending.InlineState);
                RunTopLevel(lambdaCfg, context, context.EntryState(_contracts));
                CollectLocalFunctions(lambdaCfg);
            }

            // A local function is inlined at its calls unless it has a lock contract of its own (§7.4); one never inlined
            // is analysed as its own body, from its own contract.
            for (var i = 0; i < _localFunctions.Count && !Truncated; i++)
            {
                var (parent, function) = _localFunctions[i];
                if (_inlined.Contains(function))
                {
                    continue;
                }

                var functionCfg = parent.GetLocalFunctionControlFlowGraph(function);
                var context = new BodyContext(function, _contracts.ForMethod(function), functionCfg.OriginalOperation.Syntax);
                RunTopLevel(functionCfg, context, context.EntryState(_contracts));
                CollectLocalFunctions(functionCfg);
            }
        }

        /// <summary>
        /// Runs one body for its summary: the fixpoint, then the pass that raises events to the summary's collector;
        /// returns the join of its exit states.
        /// </summary>
        public FlowState? RunForSummary(ControlFlowGraph cfg, BodyContext body)
        {
            _body = body;
            var exit = RunCfg(cfg, body.EntryState(_contracts), reporting: true, topLevel: true);
            if (!Truncated)
            {
                _observer.OnBodyDone(body);
            }

            return exit;
        }

        private void RunTopLevel(ControlFlowGraph cfg, BodyContext body, FlowState entry)
        {
            _body = body;
            RunCfg(cfg, entry, reporting: true, topLevel: true);
            if (!Truncated)
            {
                _observer.OnBodyDone(body);
            }
        }

        private void CollectLocalFunctions(ControlFlowGraph cfg)
        {
            foreach (var function in cfg.LocalFunctions)
            {
                _localFunctions.Add((cfg, function));
            }
        }

        /// <summary>Runs a whole CFG from <paramref name="entry"/>; returns the join of the states reaching its exit (null if none does).</summary>
        private FlowState? RunCfg(ControlFlowGraph cfg, FlowState entry, bool reporting, bool topLevel)
        {
            var info = Info(cfg);
            return RunRange(info, 0, cfg.Blocks.Length - 1, entry, reporting, topLevel);
        }

        private CfgInfo Info(ControlFlowGraph cfg)
        {
            if (!_cfgInfo.TryGetValue(cfg, out var info))
            {
                info = new CfgInfo(cfg);
                _cfgInfo.Add(cfg, info);
            }

            return info;
        }

        /// <summary>
        /// The fixpoint over blocks <paramref name="first"/>..<paramref name="last"/> (the whole graph, or one finally
        /// region), then, when <paramref name="reporting"/>, one reporting pass over the fixed entry states.
        /// </summary>
        private FlowState? RunRange(CfgInfo info, int first, int last, FlowState entry, bool reporting, bool topLevel)
        {
            var run = new RegionRun(info, first, last, topLevel);
            run.Propagate(first, RegionRun.EntryKey, false, null, entry, this);
            while (run.Worklist.Count > 0)
            {
                var ordinal = run.Worklist.Min;
                run.Worklist.Remove(ordinal);
                var visits = ++run.Visits[ordinal - first];
                if (visits > MaxVisitsPerBlock && !run.Widened[ordinal - first])
                {
                    // The block reached its cap: from now on its entry state is widened, so it stabilises in a visit or two.
                    run.Widened[ordinal - first] = true;
                    run.In[ordinal - first] = run.In[ordinal - first]!.Widen();
                }
                else if (visits > 2 * MaxVisitsPerBlock)
                {
                    // Not even widening reached a fixpoint: nothing this body reports could be trusted.
                    Truncated = true;
                    return null;
                }

                if (!Step())
                {
                    return null;
                }

                ProcessBlock(run, info.Cfg.Blocks[ordinal], run.In[ordinal - first]!, reportingPass: false);
            }

            if (reporting && !Truncated)
            {
                run.Exit = null;
                for (var ordinal = first; ordinal <= last; ordinal++)
                {
                    if (run.In[ordinal - first] is null)
                    {
                        continue;
                    }

                    if (!Step())
                    {
                        return null;
                    }

                    // The fixpoint's entry state stands, unless a merge here has differences to report: at a loop head
                    // (back edges), or where a domain reports at forward merges; then the edges are joined again to hear them.
                    var incoming = run.Incoming[ordinal - first];
                    var rejoin = incoming is { Count: > 1 } && (Domains.DomainRegistry.AnyReportsAtForwardMerges || incoming.Exists(e => e.Value.BackEdge));
                    var mismatches = rejoin ? new List<object>() : null;
                    var state = rejoin ? JoinIncoming(run, ordinal, mismatches)! : run.In[ordinal - first]!;
                    if (rejoin && run.Widened[ordinal - first])
                    {
                        state = state.Widen();
                    }

                    if (mismatches is { Count: > 0 } && topLevel)
                    {
                        var loop = mismatches.OfType<Domains.LockMismatch>().Any(m => m.Kind == Domains.MergeKind.LoopBackEdge);
                        _observer.OnMerge(new MergeEvent(_body, loop ? Domains.MergeKind.LoopBackEdge : Domains.MergeKind.Branch, MergeNode(info.Cfg.Blocks[ordinal])?.GetLocation(), mismatches));
                    }

                    ProcessBlock(run, info.Cfg.Blocks[ordinal], state, reportingPass: true);
                }
            }

            return run.Exit;
        }

        private bool Step()
        {
            Steps++;
            if ((Steps & 0xFF) == 0)
            {
                _cancellation.ThrowIfCancellationRequested();
            }

            if (Steps > MaxStepsPerBody)
            {
                Truncated = true;
            }

            return !Truncated;
        }

        private void ProcessBlock(RegionRun run, BasicBlock block, FlowState state, bool reportingPass)
        {
            var walk = new Walk(this, run.Info, reportingPass);
            FlowState? current = state;
            foreach (var operation in block.Operations)
            {
                current = walk.Visit(operation, current!);
                if (current is null)
                {
                    return;
                }
            }

            if (block.BranchValue is { } branchValue)
            {
                current = walk.Visit(branchValue, current!);
                if (current is null)
                {
                    return;
                }

                if (block.ConditionKind != ControlFlowConditionKind.None)
                {
                    var whenTrue = Refine(run.Info, branchValue, current, true);
                    var whenFalse = Refine(run.Info, branchValue, current, false);
                    var conditional = block.ConditionKind == ControlFlowConditionKind.WhenTrue ? whenTrue : whenFalse;
                    var fallThrough = block.ConditionKind == ControlFlowConditionKind.WhenTrue ? whenFalse : whenTrue;
                    Flow(run, block, block.ConditionalSuccessor!, true, conditional?.DropOperationFacts(), reportingPass);
                    Flow(run, block, block.FallThroughSuccessor!, false, fallThrough?.DropOperationFacts(), reportingPass);
                    return;
                }
            }

            if (block.FallThroughSuccessor is { } successor)
            {
                Flow(run, block, successor, false, current!.DropOperationFacts(), reportingPass);
            }
        }

        private void Flow(RegionRun run, BasicBlock source, ControlFlowBranch branch, bool conditional, FlowState? state, bool reportingPass)
        {
            if (state is null)
            {
                return;
            }

            if (branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
            {
                // Only a throw the user wrote is an exit (§7.6a); the compiler's own (a switch expression's unmatched
                // value) ends the path like an exception thrown by a call.
                if (branch.Semantics == ControlFlowBranchSemantics.Rethrow || ExitLocations.IsExplicitThrow(source))
                {
                    Throw(run, source, state, reportingPass);
                }

                return;
            }

            foreach (var region in branch.FinallyRegions)
            {
                state = RunFinally(run.Info, region, state, reportingPass);
                if (state is null)
                {
                    return;
                }
            }

            var destination = branch.Destination;
            if (destination is null)
            {
                // The end of a finally region: its continuation is the branch that entered it.
                if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                {
                    run.Exit = run.Exit is null ? state : FlowState.Join(run.Exit, state, ExitMerge(run.Exit, state));
                }

                return;
            }

            if (destination.Kind == BasicBlockKind.Exit)
            {
                // Paths meeting at the body's own exit are judged exit by exit (DRV1003, DRV1011), never as a merge.
                run.Exit = run.Exit is null ? state : FlowState.Join(run.Exit, state, ExitMerge(run.Exit, state));
                if (reportingPass && run.TopLevel)
                {
                    _observer.OnExit(new ExitEvent(_body, ExitLocations.Of(source, branch, _body.BodySyntax), ExitKind.Return, state,
                        branch.Semantics == ControlFlowBranchSemantics.Return ? source.BranchValue : null));
                }

                return;
            }

            if (!reportingPass)
            {
                var backEdge = destination.Ordinal <= source.Ordinal;
                run.Propagate(destination.Ordinal, RegionRun.EdgeKey(source.Ordinal, conditional), backEdge, EdgeLocation(source), state, this);
            }
        }

        private static Domains.MergeContext ExitMerge(FlowState left, FlowState right) =>
            new Domains.MergeContext(Domains.MergeKind.Branch, null, left, right, null, null, null);

        /// <summary>
        /// An explicit <c>throw</c>: caught by an enclosing catch of this body (whose handler already starts from the
        /// try's entry state), or, after the finally blocks it passes through, a failure exit of the body (§7.6a).
        /// </summary>
        private void Throw(RegionRun run, BasicBlock source, FlowState state, bool reportingPass)
        {
            for (var region = source.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { } parent)
                {
                    if (parent.Kind is ControlFlowRegionKind.TryAndCatch)
                    {
                        return;
                    }

                    if (parent.Kind == ControlFlowRegionKind.TryAndFinally && parent.NestedRegions.Length > 1)
                    {
                        if (parent.NestedRegions[1].FirstBlockOrdinal < run.First || parent.NestedRegions[1].LastBlockOrdinal > run.Last)
                        {
                            return;
                        }

                        var afterFinally = RunFinally(run.Info, parent.NestedRegions[1], state, reportingPass);
                        if (afterFinally is null)
                        {
                            return;
                        }

                        state = afterFinally;
                    }
                }

                if (region.Kind == ControlFlowRegionKind.Filter || region.Kind == ControlFlowRegionKind.Finally)
                {
                    return;
                }
            }

            if (reportingPass && run.TopLevel && run.First == 0)
            {
                _observer.OnExit(new ExitEvent(_body, ExitLocations.OfThrow(source, _body.BodySyntax), ExitKind.Throw, state));
            }
        }

        private FlowState? RunFinally(CfgInfo info, ControlFlowRegion region, FlowState state, bool reporting)
        {
            var key = (region, state, reporting);
            if (_finallyRuns.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var result = RunRange(info, region.FirstBlockOrdinal, region.LastBlockOrdinal, state, reporting, topLevel: false);
            _finallyRuns[key] = result;
            return result;
        }

        /// <summary>A lambda met in a body, to analyse as its own body once the enclosing body is done.</summary>
        private sealed class PendingLambda
        {
            public PendingLambda(ControlFlowGraph parent, IFlowAnonymousFunctionOperation lambda, INamedTypeSymbol? delegateType)
            {
                Parent = parent;
                Lambda = lambda;
                DelegateType = delegateType;
            }

            public ControlFlowGraph Parent { get; }
            public IFlowAnonymousFunctionOperation Lambda { get; }
            public INamedTypeSymbol? DelegateType { get; }

            /// <summary>The caller's state before the call that invokes it at once (§7.6c); null when it runs later.</summary>
            public FlowState? InlineState { get; set; }
        }
    }
}
