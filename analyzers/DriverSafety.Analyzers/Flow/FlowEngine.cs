using System;
using System.Collections.Generic;
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
    /// state at a block entry is the join of its predecessors' exit states, loops iterate to a fixpoint, and a
    /// final reporting pass over the fixed states raises the events that rule families observe.
    /// <para>
    /// Bound: a block's transfer runs at most <see cref="MaxVisitsPerBlock"/> times per run of its region, and a
    /// body's whole analysis (finally regions and inlined local functions included) at most
    /// <see cref="MaxStepsPerBody"/> block transfers; the work per body therefore grows linearly with its size.
    /// A body that exhausts the budget is reported as <see cref="Truncated"/> and yields no diagnostics rather than
    /// wrong ones.
    /// </para>
    /// </summary>
    internal sealed partial class FlowEngine
    {
        /// <summary>How often one block is re-analysed in one region run before the run stops iterating it.</summary>
        public const int MaxVisitsPerBlock = 12;

        /// <summary>Hard cap on block transfers for one body, all regions and inlined local functions included.</summary>
        public const int MaxStepsPerBody = 200_000;

        /// <summary>How deep calls to local functions are followed (inlined) before a call is taken as having no effect.</summary>
        public const int MaxInlineDepth = 6;

        private readonly ContractProvider _contracts;
        private readonly ISummaryProvider? _summaries;
        private readonly IFlowObserver _observer;
        private readonly CancellationToken _cancellation;
        private readonly Dictionary<ControlFlowGraph, CfgInfo> _cfgInfo = new Dictionary<ControlFlowGraph, CfgInfo>();
        private readonly Dictionary<(ControlFlowRegion Region, FlowState State, bool Reporting), FlowState?> _finallyRuns = new Dictionary<(ControlFlowRegion, FlowState, bool), FlowState?>();
        private readonly Dictionary<(IMethodSymbol Function, FlowState State, bool Reporting, string Aliases), FlowState?> _inlineRuns = new Dictionary<(IMethodSymbol, FlowState, bool, string), FlowState?>();
        private readonly Dictionary<IParameterSymbol, AccessPath> _parameterAliases = new Dictionary<IParameterSymbol, AccessPath>(SymbolEqualityComparer.Default);
        private readonly List<IMethodSymbol> _inlineStack = new List<IMethodSymbol>();
        private readonly HashSet<IMethodSymbol> _inlined = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        private readonly List<(ControlFlowGraph Cfg, IFlowAnonymousFunctionOperation Lambda)> _lambdas = new List<(ControlFlowGraph, IFlowAnonymousFunctionOperation)>();
        private readonly HashSet<IFlowAnonymousFunctionOperation> _lambdaSeen = new HashSet<IFlowAnonymousFunctionOperation>();
        private readonly List<(ControlFlowGraph Parent, IMethodSymbol Function)> _localFunctions = new List<(ControlFlowGraph, IMethodSymbol)>();
        private readonly Dictionary<IOperation, (HeldLock Held, Location? Merge)> _someMerges = new Dictionary<IOperation, (HeldLock, Location?)>();

        private BodyContext _body = null!;
        private bool _collectingSummary;

        public FlowEngine(ContractProvider contracts, ISummaryProvider? summaries, IFlowObserver observer, CancellationToken cancellation)
        {
            _contracts = contracts;
            _summaries = summaries;
            _observer = observer;
            _cancellation = cancellation;
        }

        /// <summary>Block transfers executed so far (the engine's unit of work).</summary>
        public int Steps { get; private set; }

        /// <summary>The step budget ran out: the results are incomplete and nothing was reported.</summary>
        public bool Truncated { get; private set; }

        /// <summary>
        /// Analyses a body and, as their own bodies, every lambda in it and every local function it never calls;
        /// <see cref="Steps"/> then says how many block transfers it took.
        /// </summary>
        public void AnalyzeBody(ControlFlowGraph cfg, BodyContext body)
        {
            RunTopLevel(cfg, body, body.EntryState(_contracts));
            CollectLocalFunctions(cfg);

            // Lambdas run when they are invoked, not where they are created: each is its own body, entered with no lock.
            for (var i = 0; i < _lambdas.Count && !Truncated; i++)
            {
                var (parent, lambda) = _lambdas[i];
                var lambdaCfg = parent.GetAnonymousFunctionControlFlowGraph(lambda);
                var context = new BodyContext(lambda.Symbol, _contracts.ForMethod(lambda.Symbol), lambda.Syntax);
                RunTopLevel(lambdaCfg, context, FlowState.Empty);
                CollectLocalFunctions(lambdaCfg);
            }

            // A local function that is never called is analysed as its own body, from its own contract.
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
        /// Runs one body for its summary: the fixpoint, then the pass that raises events to the summary's collector
        /// (never exit checks or merge findings); returns the join of its exit states.
        /// </summary>
        public FlowState? RunForSummary(ControlFlowGraph cfg, BodyContext body)
        {
            _body = body;
            _collectingSummary = true;
            return RunCfg(cfg, body.EntryState(_contracts), reporting: true, topLevel: false);
        }

        private void RunTopLevel(ControlFlowGraph cfg, BodyContext body, FlowState entry)
        {
            _body = body;
            _someMerges.Clear();
            RunCfg(cfg, entry, reporting: true, topLevel: true);
            if (Truncated)
            {
                return;
            }

            foreach (var pair in _someMerges.OrderBy(p => p.Key.Syntax.SpanStart))
            {
                _observer.LockHeldOnSomePaths(body, pair.Value.Held, pair.Value.Merge);
            }

            _observer.BodyDone(body);
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
            run.Propagate(first, entry, this);
            while (run.Worklist.Count > 0)
            {
                var ordinal = run.Worklist.Min;
                run.Worklist.Remove(ordinal);
                if (++run.Visits[ordinal - first] > MaxVisitsPerBlock)
                {
                    continue;
                }

                if (!Step())
                {
                    return null;
                }

                ProcessBlock(run, info.Cfg.Blocks[ordinal], run.In[ordinal - first]!, reportingPass: false);
            }

            if (reporting && !Truncated)
            {
                for (var ordinal = first; ordinal <= last; ordinal++)
                {
                    var state = run.In[ordinal - first];
                    if (state is not null)
                    {
                        if (!Step())
                        {
                            return null;
                        }

                        ProcessBlock(run, info.Cfg.Blocks[ordinal], state, reportingPass: true);
                    }
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
                    Flow(run, block, block.ConditionalSuccessor!, conditional?.DropOperationFacts(), reportingPass);
                    Flow(run, block, block.FallThroughSuccessor!, fallThrough?.DropOperationFacts(), reportingPass);
                    return;
                }
            }

            if (block.FallThroughSuccessor is { } successor)
            {
                Flow(run, block, successor, current!.DropOperationFacts(), reportingPass);
            }
        }

        private void Flow(RegionRun run, BasicBlock source, ControlFlowBranch branch, FlowState? state, bool reportingPass)
        {
            if (state is null)
            {
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
                // The end of a finally region (its continuation is the branch that entered it); throw and rethrow end the path.
                if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                {
                    run.Exit = run.Exit is null ? state : Join(run.Exit, state, null);
                }

                return;
            }

            if (destination.Kind == BasicBlockKind.Exit)
            {
                // Paths meeting at the body's own exit are DRV1003's and DRV1011's to judge, never DRV1009's; the exits of
                // an inlined local function do merge inside the caller's body.
                run.Exit = run.Exit is null ? state : run.TopLevel ? FlowState.Join(run.Exit, state, null) : Join(run.Exit, state, null);
                if (reportingPass && run.TopLevel)
                {
                    _observer.BodyExit(_body, ExitLocations.Of(source, branch, _body.BodySyntax), state);
                }

                return;
            }

            if (!reportingPass)
            {
                run.Propagate(destination.Ordinal, state, this);
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

        /// <summary>Joins two states at a merge inside the body, remembering locks held on some incoming paths only (DRV1009).</summary>
        private FlowState Join(FlowState a, FlowState b, BasicBlock? mergeBlock) =>
            FlowState.Join(a, b, held =>
            {
                if (held.Origin == HoldOrigin.Acquired && held.Site is not null && !_someMerges.ContainsKey(held.Site))
                {
                    _someMerges[held.Site] = (held, mergeBlock is null ? null : MergeLocation(mergeBlock));
                }
            });

        private static Location? MergeLocation(BasicBlock block)
        {
            var operation = block.Operations.FirstOrDefault() ?? block.BranchValue;
            return operation?.Syntax.GetLocation();
        }
    }
}
