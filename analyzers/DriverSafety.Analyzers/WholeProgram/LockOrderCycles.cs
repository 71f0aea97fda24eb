using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>
    /// DRV1007 at compilation end (SPEC §7.19): a declared order that is itself cyclic (one finding at the first
    /// attribute of each cycle), and every strongly connected group of two or more lock classes in the graph of
    /// inferred edges plus declared edges (without the reclaim node, which is DRV1008's).
    /// </summary>
    /// <remarks>
    /// Work is linear in the edges: Tarjan's strongly connected components over the class graph, then, per group, one
    /// breadth-first search inside the group for the shortest cycle through the group's first inferred witness in
    /// (file path, position) order, where the finding is reported. Reporting at a witness that is on the cycle shown
    /// keeps the squiggle on an acquisition the message explains; a shortest cycle over the whole group would cost a
    /// search per node and might not pass through that witness. Inferred edges that go against the declared order were
    /// reported live at their acquisition and are left out here (one finding per mistake), as are the declared edges
    /// of a cyclic declaration (that declaration is its own finding).
    /// </remarks>
    internal sealed class LockOrderCycles : IWholeProgramRule
    {
        public void Report(WholeProgramFacts facts, Action<Diagnostic> report, CancellationToken cancellation)
        {
            var declared = facts.DeclaredOrder();
            foreach (var cycle in declared.Cycles())
            {
                var first = cycle[0];
                var additional = cycle.Skip(1).Select(e => e.Attribute).Where(l => (l.IsInSource || l.Kind == LocationKind.ExternalFile) && !l.Equals(first.Attribute)).Distinct().ToList();
                var classes = string.Join(" → ", cycle.Select(e => DeclaredLockOrder.Name(e.Before)).Concat(new[] { DeclaredLockOrder.Name(first.Before) }));
                report(Diagnostic.Create(Descriptors.LockOrderInversion, first.Attribute, additional,
                    $"the declared lock order is itself cyclic ({classes}): " + string.Join("; ", cycle.Select(e => e.Describe()))));
            }

            var graph = Build(facts.LockOrder.Edges(), declared, cancellation);
            foreach (var cycle in graph.Cycles(cancellation))
            {
                var primary = cycle[0];
                var additional = cycle.Skip(1).Select(e => e.Location).Where(l => l.IsInSource && !l.Equals(primary.Location)).Distinct().ToList();
                var classes = string.Join(" → ", cycle.Select(e => e.From.ToString()).Concat(new[] { primary.From.ToString() }));
                report(Diagnostic.Create(Descriptors.LockOrderInversion, primary.Location, additional,
                    $"lock classes {classes} are acquired in a cycle: " + string.Join("; ", cycle.Select(e => e.Describe()))));
            }
        }

        private static ClassGraph Build(ImmutableArray<LockOrderEdge> inferred, DeclaredLockOrder declared, CancellationToken cancellation)
        {
            var graph = new ClassGraph();
            foreach (var edge in inferred)
            {
                // Against the declared order: reported live at the acquisition (LockOrderRules), not again here.
                if (declared.IsEmpty || declared.PathBefore(edge.To.Declaration, edge.From.Declaration).IsEmpty)
                {
                    graph.Add(new GraphEdge(edge.From, edge.To, edge.Witness, edge.Describe(), inferred: true));
                }
            }

            if (!declared.IsEmpty)
            {
                // The declared order between the classes the code uses, transitively through declarations it does not
                // use: one search of the (small) declared graph per class, then an index lookup per class it reaches.
                var nodes = graph.Nodes.ToList();
                var byDeclaration = new Dictionary<ISymbol, List<LockClass>>(SymbolEqualityComparer.Default);
                foreach (var node in nodes)
                {
                    foreach (var key in new[] { node.Declaration, DeclaredLockOrder.TypeOf(node.Declaration) })
                    {
                        if (key is null)
                        {
                            continue;
                        }

                        if (!byDeclaration.TryGetValue(key, out var list))
                        {
                            list = new List<LockClass>();
                            byDeclaration.Add(key, list);
                        }

                        if (!list.Contains(node))
                        {
                            list.Add(node);
                        }
                    }
                }

                var added = new HashSet<(LockClass, LockClass)>();
                foreach (var from in nodes)
                {
                    cancellation.ThrowIfCancellationRequested();
                    foreach (var reached in declared.After(from.Declaration))
                    {
                        if (!byDeclaration.TryGetValue(reached, out var targets))
                        {
                            continue;
                        }

                        foreach (var to in targets)
                        {
                            if (to.Declaration.Equals(from.Declaration, SymbolEqualityComparer.Default) ||
                                (reached is ITypeSymbol && !to.Declaration.Equals(reached, SymbolEqualityComparer.Default) && !SymbolEqualityComparer.Default.Equals(DeclaredLockOrder.TypeOf(to.Declaration), reached)))
                            {
                                continue;
                            }

                            var path = added.Add((from, to)) ? declared.PathBefore(from.Declaration, to.Declaration) : ImmutableArray<DeclaredOrderEdge>.Empty;
                            if (!path.IsEmpty)
                            {
                                graph.Add(new GraphEdge(from, to, path[0].Attribute, string.Join("; ", path.Select(p => p.Describe())), inferred: false));
                            }
                        }
                    }
                }
            }

            return graph;
        }

        private sealed class GraphEdge
        {
            public GraphEdge(LockClass from, LockClass to, Location location, string description, bool inferred)
            {
                From = from;
                To = to;
                Location = location;
                Description = description;
                Inferred = inferred;
            }

            public LockClass From { get; }
            public LockClass To { get; }
            public Location Location { get; }
            public string Description { get; }
            public bool Inferred { get; }

            public string Describe() => Description;
        }

        /// <summary>The class graph: nodes in first-seen order (inferred edges come in witness order), edges per node in insertion order.</summary>
        private sealed class ClassGraph
        {
            private readonly Dictionary<LockClass, List<GraphEdge>> _out = new Dictionary<LockClass, List<GraphEdge>>();
            private readonly List<LockClass> _nodes = new List<LockClass>();
            private readonly List<GraphEdge> _inferred = new List<GraphEdge>();

            public IReadOnlyList<LockClass> Nodes => _nodes;

            public void Add(GraphEdge edge)
            {
                Node(edge.From).Add(edge);
                Node(edge.To);
                if (edge.Inferred)
                {
                    _inferred.Add(edge);
                }
            }

            private List<GraphEdge> Node(LockClass node)
            {
                if (!_out.TryGetValue(node, out var list))
                {
                    list = new List<GraphEdge>();
                    _out.Add(node, list);
                    _nodes.Add(node);
                }

                return list;
            }

            /// <summary>One cycle per strongly connected group of two or more classes, starting at the group's first inferred edge.</summary>
            public IEnumerable<ImmutableArray<GraphEdge>> Cycles(CancellationToken cancellation)
            {
                var components = Tarjan.Components(_nodes, n => _out[n].Select(e => e.To), EqualityComparer<LockClass>.Default);
                var componentOf = new Dictionary<LockClass, int>();
                for (var i = 0; i < components.Count; i++)
                {
                    if (components[i].Count > 1)
                    {
                        foreach (var node in components[i])
                        {
                            componentOf[node] = i;
                        }
                    }
                }

                var done = new HashSet<int>();
                foreach (var edge in _inferred)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (!componentOf.TryGetValue(edge.From, out var component) || !componentOf.TryGetValue(edge.To, out var other) || component != other || !done.Add(component))
                    {
                        continue;
                    }

                    var back = ShortestPath(edge.To, edge.From, component, componentOf);
                    if (!back.IsDefault)
                    {
                        yield return back.Insert(0, edge);
                    }
                }
            }

            private ImmutableArray<GraphEdge> ShortestPath(LockClass from, LockClass to, int component, Dictionary<LockClass, int> componentOf)
            {
                var parent = new Dictionary<LockClass, GraphEdge?> { [from] = null };
                var queue = new Queue<LockClass>();
                queue.Enqueue(from);
                while (queue.Count > 0)
                {
                    var node = queue.Dequeue();
                    if (node.Equals(to))
                    {
                        var path = new List<GraphEdge>();
                        for (var step = parent[node]; step is not null; step = parent[step.From])
                        {
                            path.Add(step);
                        }

                        path.Reverse();
                        return path.ToImmutableArray();
                    }

                    foreach (var edge in _out[node])
                    {
                        if (!parent.ContainsKey(edge.To) && componentOf.TryGetValue(edge.To, out var c) && c == component)
                        {
                            parent[edge.To] = edge;
                            queue.Enqueue(edge.To);
                        }
                    }
                }

                return default;
            }
        }
    }
}
