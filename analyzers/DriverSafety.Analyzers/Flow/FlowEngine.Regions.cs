using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>Per-CFG facts computed once: the value each flow capture holds, and the catch handlers of each try.</summary>
        private sealed class CfgInfo
        {
            public CfgInfo(ControlFlowGraph cfg)
            {
                Cfg = cfg;
                foreach (var block in cfg.Blocks)
                {
                    foreach (var operation in block.Operations.Concat(block.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { block.BranchValue }))
                    {
                        foreach (var capture in operation.DescendantsAndSelf().OfType<IFlowCaptureOperation>())
                        {
                            if (Captures.TryGetValue(capture.Id, out var existing) && !ReferenceEquals(existing, capture.Value))
                            {
                                Captures[capture.Id] = null;
                            }
                            else
                            {
                                Captures[capture.Id] = capture.Value;
                            }
                        }
                    }
                }

                CollectHandlers(cfg.Root);
            }

            public ControlFlowGraph Cfg { get; }

            /// <summary>The value a flow capture holds, or null when it is assigned different values on different paths.</summary>
            public Dictionary<CaptureId, IOperation?> Captures { get; } = new Dictionary<CaptureId, IOperation?>();

            /// <summary>First block of a try region → first blocks of its catch and filter handlers (entered with the try's entry state).</summary>
            public Dictionary<int, List<int>> Handlers { get; } = new Dictionary<int, List<int>>();

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

        /// <summary>The mutable bookkeeping of one fixpoint run over a range of blocks.</summary>
        private sealed class RegionRun
        {
            public RegionRun(CfgInfo info, int first, int last, bool topLevel)
            {
                Info = info;
                First = first;
                Last = last;
                TopLevel = topLevel;
                In = new FlowState?[last - first + 1];
                Visits = new int[last - first + 1];
            }

            public CfgInfo Info { get; }
            public int First { get; }
            public int Last { get; }
            public bool TopLevel { get; }
            public FlowState?[] In { get; }
            public int[] Visits { get; }
            public SortedSet<int> Worklist { get; } = new SortedSet<int>();
            public FlowState? Exit { get; set; }

            public void Propagate(int ordinal, FlowState state, FlowEngine engine)
            {
                if (ordinal < First || ordinal > Last)
                {
                    return;
                }

                var index = ordinal - First;
                var old = In[index];
                var joined = old is null ? state : engine.Join(old, state, Info.Cfg.Blocks[ordinal]);
                if (old is not null && joined.Equals(old))
                {
                    return;
                }

                In[index] = joined;
                Worklist.Add(ordinal);
                if (Info.Handlers.TryGetValue(ordinal, out var handlers))
                {
                    foreach (var handler in handlers)
                    {
                        Propagate(handler, joined, engine);
                    }
                }
            }
        }
    }
}
