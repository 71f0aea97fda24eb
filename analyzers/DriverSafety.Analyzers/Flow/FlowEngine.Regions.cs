using System.Collections.Generic;
using System.Linq;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>Per-CFG facts computed once: the value each flow capture holds, the catch handlers of each try, the locals that alias a path.</summary>
        private sealed class CfgInfo
        {
            public CfgInfo(ControlFlowGraph cfg)
            {
                Cfg = cfg;
                var assignments = new Dictionary<ILocalSymbol, int>(SymbolEqualityComparer.Default);
                var initialValues = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
                foreach (var block in cfg.Blocks)
                {
                    foreach (var operation in block.Operations.Concat(block.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { block.BranchValue }))
                    {
                        foreach (var node in operation.DescendantsAndSelf())
                        {
                            switch (node)
                            {
                                case IFlowCaptureOperation capture:
                                    if (Captures.TryGetValue(capture.Id, out var existing) && !ReferenceEquals(existing, capture.Value))
                                    {
                                        Captures[capture.Id] = null;
                                    }
                                    else
                                    {
                                        Captures[capture.Id] = capture.Value;
                                    }

                                    break;
                                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment:
                                    Count(assignments, local.Local);
                                    initialValues[local.Local] = assignment.Value;
                                    break;
                                case IAssignmentOperation { Target: ILocalReferenceOperation local }:
                                    Count(assignments, local.Local, 2);
                                    break;
                                case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation local }:
                                    Count(assignments, local.Local, 2);
                                    break;
                                case IArgumentOperation { Value: ILocalReferenceOperation local } argument when argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out:
                                    Count(assignments, local.Local, 2);
                                    break;
                                case ILocalReferenceOperation { IsDeclaration: true } declared when declared.Parent is not ISimpleAssignmentOperation:
                                    Count(assignments, declared.Local, 2);
                                    break;
                            }
                        }
                    }
                }

                foreach (var pair in assignments)
                {
                    if (pair.Value == 1 && !pair.Key.IsRef && initialValues.TryGetValue(pair.Key, out var value))
                    {
                        AliasCandidates[pair.Key] = value;
                    }
                }

                CollectHandlers(cfg.Root);
            }

            public ControlFlowGraph Cfg { get; }

            /// <summary>The value a flow capture holds, or null when it is assigned different values on different paths.</summary>
            public Dictionary<CaptureId, IOperation?> Captures { get; } = new Dictionary<CaptureId, IOperation?>();

            /// <summary>Locals assigned exactly once (their initialiser), with that value: they may stand for its access path (§7.6b).</summary>
            public Dictionary<ILocalSymbol, IOperation> AliasCandidates { get; } = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);

            /// <summary>First block of a try region → first blocks of its catch and filter handlers (entered with the try's entry state).</summary>
            public Dictionary<int, List<int>> Handlers { get; } = new Dictionary<int, List<int>>();

            private static void Count(Dictionary<ILocalSymbol, int> counts, ILocalSymbol local, int by = 1) =>
                counts[local] = (counts.TryGetValue(local, out var count) ? count : 0) + by;

            private void CollectHandlers(ControlFlowRegion region)
            {
                if (region.Kind == ControlFlowRegionKind.TryAndCatch && region.NestedRegions.Length > 1)
                {
                    var tryRegion = region.NestedRegions[0];
                    if (!Handlers.TryGetValue(tryRegion.FirstBlockOrdinal, out var list))
                    {
                        list = new List<int>();
                        Handlers.Add(tryRegion.FirstBlockOrdinal, list);
                    }

                    list.AddRange(region.NestedRegions.Skip(1).Select(h => h.FirstBlockOrdinal));
                }

                foreach (var nested in region.NestedRegions)
                {
                    CollectHandlers(nested);
                }
            }
        }

        /// <summary>
        /// The mutable bookkeeping of one fixpoint run over a range of blocks. Each block keeps the state of every incoming
        /// edge; its entry state is the join of its forward edges, with each back edge then compared to that (§7.1).
        /// </summary>
        private sealed class RegionRun
        {
            public RegionRun(CfgInfo info, int first, int last, bool topLevel)
            {
                Info = info;
                First = first;
                Last = last;
                TopLevel = topLevel;
                In = new FlowState?[last - first + 1];
                Incoming = new List<KeyValuePair<int, Edge>>?[last - first + 1];
                Visits = new int[last - first + 1];
                Widened = new bool[last - first + 1];
            }

            public CfgInfo Info { get; }
            public int First { get; }
            public int Last { get; }
            public bool TopLevel { get; }
            public FlowState?[] In { get; }
            /// <summary>Per block, its incoming edges' states sorted by edge key (few per block: a small sorted list).</summary>
            public List<KeyValuePair<int, Edge>>?[] Incoming { get; }
            public int[] Visits { get; }

            /// <summary>Blocks that reached the visit cap: their entry state is widened from then on.</summary>
            public bool[] Widened { get; }
            public SortedSet<int> Worklist { get; } = new SortedSet<int>();
            public FlowState? Exit { get; set; }

            /// <summary>An edge's key: its source block (and which of its two branches), or a region entry or catch entry.</summary>
            public static int EdgeKey(int sourceOrdinal, bool conditional) => sourceOrdinal * 2 + (conditional ? 1 : 0);

            public const int EntryKey = -2;

            public void Propagate(int ordinal, int edgeKey, bool backEdge, SyntaxNode? edgeLocation, FlowState state, FlowEngine engine)
            {
                if (ordinal < First || ordinal > Last)
                {
                    return;
                }

                var index = ordinal - First;
                var incoming = Incoming[index] ??= new List<KeyValuePair<int, Edge>>(2);
                var position = 0;
                while (position < incoming.Count && incoming[position].Key < edgeKey)
                {
                    position++;
                }

                var edge = new KeyValuePair<int, Edge>(edgeKey, new Edge(state, backEdge, edgeLocation));
                if (position < incoming.Count && incoming[position].Key == edgeKey)
                {
                    if (incoming[position].Value.State.Equals(state))
                    {
                        return;
                    }

                    incoming[position] = edge;
                }
                else
                {
                    incoming.Insert(position, edge);
                }
                var joined = engine.JoinIncoming(this, ordinal, null);
                if (joined is not null && Widened[index])
                {
                    joined = joined.Widen();
                }

                if (joined is null || (In[index] is { } old && old.Equals(joined)))
                {
                    return;
                }

                In[index] = joined;
                Worklist.Add(ordinal);
                if (Info.Handlers.TryGetValue(ordinal, out var handlers))
                {
                    foreach (var handler in handlers)
                    {
                        Propagate(handler, EdgeKey(-1000 - ordinal, false), false, null, joined, engine);
                    }
                }
            }
        }

        private sealed class Edge
        {
            public Edge(FlowState state, bool backEdge, SyntaxNode? location)
            {
                State = state;
                BackEdge = backEdge;
                Location = location;
            }

            public FlowState State { get; }
            public bool BackEdge { get; }
            public SyntaxNode? Location { get; }
        }

        /// <summary>
        /// The entry state of a block: its forward edges joined (in source order), then each back edge brought in as every
        /// domain decides (locks keep the entry state). With <paramref name="mismatches"/>, the reporting pass collects
        /// each domain's differences.
        /// </summary>
        private FlowState? JoinIncoming(RegionRun run, int ordinal, List<object>? mismatches)
        {
            var incoming = run.Incoming[ordinal - run.First];
            if (incoming is null || incoming.Count == 0)
            {
                return null;
            }

            if (incoming.Count == 1)
            {
                return incoming[0].Value.State;
            }

            var mergePoint = MergeNode(run.Info.Cfg.Blocks[ordinal]);
            FlowState? state = null;
            SyntaxNode? stateEdge = null;
            foreach (var pair in incoming)
            {
                var edge = pair.Value;
                if (edge.BackEdge)
                {
                    continue;
                }

                if (state is null)
                {
                    state = edge.State;
                    stateEdge = edge.Location;
                    continue;
                }

                state = FlowState.Join(state, edge.State, new MergeContext(MergeKind.Branch, mergePoint, state, edge.State, stateEdge, edge.Location, mismatches));
                stateEdge = null;
            }

            if (state is null)
            {
                // Only back edges (a block reached by a backward goto alone): they are its entry.
                foreach (var pair in incoming)
                {
                    var edge = pair.Value;
                    state = state is null ? edge.State : FlowState.Join(state, edge.State, new MergeContext(MergeKind.Branch, mergePoint, state, edge.State, null, edge.Location, mismatches));
                }

                return state;
            }

            foreach (var pair in incoming)
            {
                var edge = pair.Value;
                if (edge.BackEdge)
                {
                    state = FlowState.LoopBackEdge(state, edge.State, new MergeContext(MergeKind.LoopBackEdge, mergePoint, state, edge.State, null, edge.Location, mismatches));
                }
            }

            return state;
        }

        private static SyntaxNode? MergeNode(BasicBlock block) => (block.Operations.FirstOrDefault() ?? block.BranchValue)?.Syntax;

        /// <summary>Where an incoming path is in the source: the branch condition of its block, or its last statement.</summary>
        private static SyntaxNode? EdgeLocation(BasicBlock source) =>
            (source.ConditionKind != ControlFlowConditionKind.None ? source.BranchValue : source.Operations.LastOrDefault() ?? source.BranchValue)?.Syntax;
    }
}
