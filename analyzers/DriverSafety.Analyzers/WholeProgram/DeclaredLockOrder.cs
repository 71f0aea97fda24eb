using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Summaries;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>One declared order: <see cref="Before"/> is acquired before <see cref="After"/>, by the attribute at <see cref="Attribute"/>.</summary>
    internal sealed class DeclaredOrderEdge
    {
        public DeclaredOrderEdge(ISymbol before, ISymbol after, Location attribute, string attributeName, ISymbol annotated)
        {
            Before = before;
            After = after;
            Attribute = attribute;
            AttributeName = attributeName;
            Annotated = annotated;
        }

        /// <summary>A lock field or property, or a lock type (which stands for every class of that type, SPEC §7.19).</summary>
        public ISymbol Before { get; }
        public ISymbol After { get; }
        public Location Attribute { get; }

        /// <summary><c>AcquiredBefore</c> or <c>AcquiredAfter</c>.</summary>
        public string AttributeName { get; }

        /// <summary>The lock declaration the attribute is written on.</summary>
        public ISymbol Annotated { get; }

        public string Describe() =>
            $"[{AttributeName}] on '{DeclaredLockOrder.Name(Annotated)}' ({LockOrderText.Where(Attribute)}) declares '{DeclaredLockOrder.Name(Before)}' before '{DeclaredLockOrder.Name(After)}'";
    }

    /// <summary>
    /// The declared lock order of the compilation (<c>[AcquiredBefore]</c>/<c>[AcquiredAfter]</c> on lock fields,
    /// properties and lock types, in this compilation and in referenced assemblies that use the annotations), read
    /// once, on first use. Its nodes are declarations; a lock type's order applies to every class of that type.
    /// </summary>
    internal sealed class DeclaredLockOrder
    {
        private readonly Dictionary<ISymbol, List<DeclaredOrderEdge>> _out = new Dictionary<ISymbol, List<DeclaredOrderEdge>>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, int> _component = new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
        private readonly List<DeclaredOrderEdge> _edges = new List<DeclaredOrderEdge>();
        private readonly LockExpressionResolver _resolver;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ISymbol, Dictionary<ISymbol, DeclaredOrderEdge?>> _reach =
            new System.Collections.Concurrent.ConcurrentDictionary<ISymbol, Dictionary<ISymbol, DeclaredOrderEdge?>>(SymbolEqualityComparer.Default);

        private DeclaredLockOrder(LockExpressionResolver resolver) => _resolver = resolver;

        /// <summary>Every declared edge, in (file path, position) order of its attribute.</summary>
        public IReadOnlyList<DeclaredOrderEdge> Edges => _edges;

        public bool IsEmpty => _edges.Count == 0;

        public static DeclaredLockOrder Read(Compilation compilation, ContractProvider contracts, CancellationToken cancellation)
        {
            var order = new DeclaredLockOrder(contracts.Resolver);
            var known = contracts.Known;
            if (known.AcquiredBefore is null && known.AcquiredAfter is null)
            {
                return order;
            }

            var annotations = known.AcquiredBefore?.ContainingAssembly ?? known.AcquiredAfter!.ContainingAssembly;
            var assemblies = new List<IAssemblySymbol> { compilation.Assembly };
            foreach (var reference in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                if (reference.Modules.Any(m => m.ReferencedAssemblySymbols.Any(r => SymbolEqualityComparer.Default.Equals(r, annotations))))
                {
                    assemblies.Add(reference);
                }
            }

            var found = new List<DeclaredOrderEdge>();
            var read = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            void Read(ISymbol member)
            {
                if (read.Add(member))
                {
                    order.ReadAttributes(member, known, found);
                }
            }

            foreach (var assembly in assemblies)
            {
                var roots = SymbolEqualityComparer.Default.Equals(assembly, compilation.Assembly)
                    ? SourceTypesWithOrderAttributes(compilation, contracts, cancellation)
                    : new[] { (INamespaceOrTypeSymbol)assembly.GlobalNamespace };
                foreach (var root in roots)
                {
                    if (root is INamedTypeSymbol rootType)
                    {
                        Read(rootType);
                    }

                    var types = new Stack<INamespaceOrTypeSymbol>();
                    types.Push(root);
                    while (types.Count > 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        var current = types.Pop();
                        foreach (var member in current.GetMembers())
                        {
                            if (member is INamespaceOrTypeSymbol nested)
                            {
                                types.Push(nested);
                            }

                            if (member is INamedTypeSymbol or IFieldSymbol or IPropertySymbol)
                            {
                                Read(member);
                            }
                        }
                    }
                }
            }

            // Lock classes not read above whose order an external annotations file declares (in any assembly, this one's
            // types without an order attribute in their source included).
            foreach (var member in known.Annotations.ExternallyAnnotated)
            {
                if (member is INamedTypeSymbol or IFieldSymbol or IPropertySymbol)
                {
                    Read(member.OriginalDefinition);
                }
            }

            foreach (var edge in found.OrderBy(e => e.Attribute.Kind == LocationKind.None ? Name(e.Annotated) : e.Attribute.GetLineSpan().Path ?? string.Empty, System.StringComparer.Ordinal).ThenBy(e => e.Attribute.SourceSpan.Start)
                .ThenBy(e => Name(e.Before), System.StringComparer.Ordinal).ThenBy(e => Name(e.After), System.StringComparer.Ordinal))
            {
                order._edges.Add(edge);
                if (!order._out.TryGetValue(edge.Before, out var list))
                {
                    list = new List<DeclaredOrderEdge>();
                    order._out.Add(edge.Before, list);
                }

                list.Add(edge);
            }

            order.FindCycles();
            return order;
        }

        /// <summary>
        /// The outermost types of this compilation whose declarations write an <c>[AcquiredBefore]</c> or
        /// <c>[AcquiredAfter]</c> attribute (by name, with or without the suffix, or through any using alias), each once,
        /// in source order. Found from syntax, so that only those types' attributes are bound: reading every member's
        /// attributes made the first lock acquisition of an editor's one-document request pay for the whole
        /// compilation (600 ms for one file of the 200,000-line corpus).
        /// </summary>
        private static IReadOnlyList<INamespaceOrTypeSymbol> SourceTypesWithOrderAttributes(Compilation compilation, ContractProvider contracts, CancellationToken cancellation)
        {
            var names = new HashSet<string>(System.StringComparer.Ordinal) { "AcquiredBefore", "AcquiredBeforeAttribute", "AcquiredAfter", "AcquiredAfterAttribute" };
            foreach (var tree in compilation.SyntaxTrees)
            {
                // An alias may rename the attribute anywhere (a global one in another file): every alias name counts.
                foreach (var alias in tree.GetRoot(cancellation).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<UsingDirectiveSyntax>())
                {
                    if (alias.Alias is { } name)
                    {
                        names.Add(name.Name.Identifier.ValueText);
                    }
                }
            }

            // A file whose text never spells one of the names holds no such attribute: most files are skipped unparsed by
            // a text search (every attribute name contains "Acquired" unless an alias renames it).
            var searched = names.Where(n => n.IndexOf("Acquired", System.StringComparison.Ordinal) < 0).Concat(new[] { "Acquired" }).ToList();
            var roots = new List<INamespaceOrTypeSymbol>();
            var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var tree in compilation.SyntaxTrees)
            {
                cancellation.ThrowIfCancellationRequested();
                var text = tree.GetText(cancellation).ToString();
                if (!searched.Any(name => text.IndexOf(name, System.StringComparison.Ordinal) >= 0))
                {
                    continue;
                }

                SemanticModel? model = null;
                foreach (var attribute in tree.GetRoot(cancellation).DescendantNodes(n => n is not (BlockSyntax or ArrowExpressionClauseSyntax or EqualsValueClauseSyntax)).OfType<AttributeSyntax>())
                {
                    if (!names.Contains(RightmostName(attribute.Name)))
                    {
                        continue;
                    }

                    var outermost = attribute.Ancestors().LastOrDefault(a => a is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax);
                    if (outermost is null)
                    {
                        continue;
                    }

                    model ??= contracts.Models.For(tree);
                    if (model.GetDeclaredSymbol(outermost, cancellation) is INamedTypeSymbol type && seen.Add(type))
                    {
                        roots.Add(type);
                    }
                }
            }

            return roots;
        }

        private static string RightmostName(NameSyntax name) => name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => string.Empty,
        };

        private void ReadAttributes(ISymbol member, KnownSymbols known, List<DeclaredOrderEdge> into)
        {
            foreach (var attribute in known.AttributesOf(member))
            {
                var before = KnownSymbols.Is(attribute, known.AcquiredBefore);
                if (!before && !KnownSymbols.Is(attribute, known.AcquiredAfter))
                {
                    continue;
                }

                if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind != TypedConstantKind.Array || attribute.ConstructorArguments[0].IsNull)
                {
                    continue;
                }

                var location = attribute.Location ?? member.Locations.FirstOrDefault() ?? Location.None;
                foreach (var value in attribute.ConstructorArguments[0].Values)
                {
                    // A name that does not resolve is DRV9001/DRV9002 at the attribute (the ordering reader), never an edge.
                    var other = _resolver.ResolveLockClass(value.Value as string, member, out _, out _, attribute.ApplicationSyntaxReference);
                    if (other is null)
                    {
                        continue;
                    }

                    var self = member.OriginalDefinition;
                    other = other.OriginalDefinition;
                    into.Add(before
                        ? new DeclaredOrderEdge(self, other, location, "AcquiredBefore", self)
                        : new DeclaredOrderEdge(other, self, location, "AcquiredAfter", self));
                }
            }
        }

        /// <summary>The lock type of a class's declaration (the declaration itself for a type).</summary>
        public static ITypeSymbol? TypeOf(ISymbol declaration) => declaration as ITypeSymbol ?? AccessPath.MemberType(declaration)?.OriginalDefinition;

        /// <summary>The declared nodes a lock class stands for: its declaration, and its lock type.</summary>
        private static IEnumerable<ISymbol> NodesOf(ISymbol declaration)
        {
            yield return declaration;
            if (declaration is not ITypeSymbol && TypeOf(declaration) is { } type)
            {
                yield return type;
            }
        }

        /// <summary>
        /// The declared path (transitively) that puts <paramref name="first"/> before <paramref name="second"/>, shortest
        /// first; empty when the declarations do not order them. Nodes of one cyclic declaration order nothing (that
        /// declaration is its own finding).
        /// </summary>
        public ImmutableArray<DeclaredOrderEdge> PathBefore(ISymbol first, ISymbol second)
        {
            if (_edges.Count == 0 || SymbolEqualityComparer.Default.Equals(first, second))
            {
                return ImmutableArray<DeclaredOrderEdge>.Empty;
            }

            var parents = _reach.GetOrAdd(first, Reach);
            if (!parents.TryGetValue(second, out var last) && !(TypeOf(second) is { } type && parents.TryGetValue(type, out last)))
            {
                return ImmutableArray<DeclaredOrderEdge>.Empty;
            }

            var path = new List<DeclaredOrderEdge>();
            for (var step = last; step is not null; step = parents[step.Before])
            {
                path.Add(step);
            }

            path.Reverse();
            return path.Count == 0 || InOneCycle(path) ? ImmutableArray<DeclaredOrderEdge>.Empty : path.ToImmutableArray();
        }

        /// <summary>Breadth-first over the declarations from a class's nodes: each reached node with the edge that reached it first (shortest paths).</summary>
        private Dictionary<ISymbol, DeclaredOrderEdge?> Reach(ISymbol first)
        {
            var parent = new Dictionary<ISymbol, DeclaredOrderEdge?>(SymbolEqualityComparer.Default);
            var queue = new Queue<ISymbol>();
            foreach (var start in NodesOf(first))
            {
                if (!parent.ContainsKey(start))
                {
                    parent.Add(start, null);
                    queue.Enqueue(start);
                }
            }

            while (queue.Count > 0)
            {
                var node = queue.Dequeue();
                foreach (var edge in Out(node))
                {
                    if (!parent.ContainsKey(edge.After))
                    {
                        parent.Add(edge.After, edge);
                        queue.Enqueue(edge.After);
                    }
                }
            }

            return parent;
        }

        /// <summary>
        /// Every declaration (field, property or lock type) the declarations put after <paramref name="first"/>,
        /// transitively; a reached lock type stands for every class of that type.
        /// </summary>
        public IEnumerable<ISymbol> After(ISymbol first)
        {
            if (_edges.Count == 0)
            {
                return Enumerable.Empty<ISymbol>();
            }

            var parents = _reach.GetOrAdd(first, Reach);
            return parents.Where(p => p.Value is not null).Select(p => p.Key);
        }

        /// <summary>The edges out of a node: its own, and (for a field or property) those of its lock type, which apply to every class of the type.</summary>
        private IEnumerable<DeclaredOrderEdge> Out(ISymbol node)
        {
            if (_out.TryGetValue(node, out var own))
            {
                foreach (var edge in own)
                {
                    yield return edge;
                }
            }

            if (node is not ITypeSymbol && TypeOf(node) is { } type && _out.TryGetValue(type, out var ofType))
            {
                foreach (var edge in ofType)
                {
                    yield return edge;
                }
            }
        }

        /// <summary>True where a declared edge lies on a cycle of the declarations themselves.</summary>
        public bool InCycle(DeclaredOrderEdge edge) =>
            _component.TryGetValue(edge.Before, out var a) && _component.TryGetValue(edge.After, out var b) && a == b;

        private bool InOneCycle(List<DeclaredOrderEdge> path) => path.Any(InCycle);

        /// <summary>
        /// The cycles of the declarations (SPEC §7.19: one DRV1007 at the first attribute of each): per strongly
        /// connected group, the shortest cycle through the group's first attribute in (file path, position) order.
        /// </summary>
        public ImmutableArray<ImmutableArray<DeclaredOrderEdge>> Cycles()
        {
            var result = ImmutableArray.CreateBuilder<ImmutableArray<DeclaredOrderEdge>>();
            var seen = new HashSet<int>();
            foreach (var edge in _edges)
            {
                // A cycle declared wholly in a referenced assembly is that assembly's finding, not its consumers'.
                if (!(edge.Attribute.IsInSource || edge.Attribute.Kind == LocationKind.ExternalFile) || !InCycle(edge) || !seen.Add(_component[edge.Before]))
                {
                    continue;
                }

                var component = _component[edge.Before];
                var back = ShortestPath(edge.After, edge.Before, e => InCycle(e) && _component[e.Before] == component);
                if (!back.IsDefault)
                {
                    result.Add(back.Insert(0, edge));
                }
            }

            return result.ToImmutable();
        }

        private ImmutableArray<DeclaredOrderEdge> ShortestPath(ISymbol from, ISymbol to, System.Func<DeclaredOrderEdge, bool> allowed)
        {
            if (SymbolEqualityComparer.Default.Equals(from, to))
            {
                return ImmutableArray<DeclaredOrderEdge>.Empty;
            }

            var parent = new Dictionary<ISymbol, DeclaredOrderEdge?>(SymbolEqualityComparer.Default) { [from] = null };
            var queue = new Queue<ISymbol>();
            queue.Enqueue(from);
            while (queue.Count > 0)
            {
                var node = queue.Dequeue();
                if (!_out.TryGetValue(node, out var edges))
                {
                    continue;
                }

                foreach (var edge in edges.Where(allowed))
                {
                    if (parent.ContainsKey(edge.After))
                    {
                        continue;
                    }

                    parent[edge.After] = edge;
                    if (SymbolEqualityComparer.Default.Equals(edge.After, to))
                    {
                        var path = new List<DeclaredOrderEdge>();
                        for (DeclaredOrderEdge? step = edge; step is not null; step = parent[step.Before])
                        {
                            path.Add(step);
                        }

                        path.Reverse();
                        return path.ToImmutableArray();
                    }

                    queue.Enqueue(edge.After);
                }
            }

            return default;
        }

        /// <summary>Tarjan's strongly connected components over the declared edges (as written: the declarations' own cycles).</summary>
        private void FindCycles()
        {
            var nodes = _edges.SelectMany(e => new[] { e.Before, e.After }).Distinct(SymbolEqualityComparer.Default).ToList();
            var groups = Tarjan.Components(nodes, n => _out.TryGetValue(n, out var edges) ? edges.Select(e => e.After) : Enumerable.Empty<ISymbol>(), SymbolEqualityComparer.Default);
            var id = 0;
            foreach (var group in groups)
            {
                var cyclic = group.Count > 1 || (_out.TryGetValue(group[0], out var self) && self.Any(e => SymbolEqualityComparer.Default.Equals(e.After, group[0])));
                if (!cyclic)
                {
                    continue;
                }

                foreach (var node in group)
                {
                    _component[node] = id;
                }

                id++;
            }
        }

        public static string Name(ISymbol declaration) =>
            declaration is ITypeSymbol type ? type.Name : declaration.ContainingType?.Name + "." + declaration.Name;
    }

    /// <summary>Tarjan's strongly connected components, iterative (no recursion depth limit), in the order of the given nodes.</summary>
    internal static class Tarjan
    {
        public static List<List<T>> Components<T>(IReadOnlyList<T> nodes, System.Func<T, IEnumerable<T>> successors, IEqualityComparer<T> comparer)
            where T : notnull
        {
            var index = new Dictionary<T, int>(comparer);
            var low = new Dictionary<T, int>(comparer);
            var onStack = new HashSet<T>(comparer);
            var stack = new Stack<T>();
            var result = new List<List<T>>();
            var next = 0;
            foreach (var root in nodes)
            {
                if (index.ContainsKey(root))
                {
                    continue;
                }

                var work = new Stack<(T Node, IEnumerator<T> Successors)>();
                Visit(root);
                while (work.Count > 0)
                {
                    var (node, successorsOf) = work.Peek();
                    if (successorsOf.MoveNext())
                    {
                        var successor = successorsOf.Current;
                        if (!index.ContainsKey(successor))
                        {
                            Visit(successor);
                        }
                        else if (onStack.Contains(successor))
                        {
                            low[node] = System.Math.Min(low[node], index[successor]);
                        }

                        continue;
                    }

                    work.Pop();
                    if (work.Count > 0)
                    {
                        var parent = work.Peek().Node;
                        low[parent] = System.Math.Min(low[parent], low[node]);
                    }

                    if (low[node] == index[node])
                    {
                        var component = new List<T>();
                        T member;
                        do
                        {
                            member = stack.Pop();
                            onStack.Remove(member);
                            component.Add(member);
                        }
                        while (!comparer.Equals(member, node));

                        result.Add(component);
                    }
                }

                void Visit(T node)
                {
                    index[node] = next;
                    low[node] = next;
                    next++;
                    stack.Push(node);
                    onStack.Add(node);
                    work.Push((node, successors(node).GetEnumerator()));
                }
            }

            return result;
        }
    }

    /// <summary>How the lock-order family writes places and chains in its messages.</summary>
    internal static class LockOrderText
    {
        public static string Where(Location location)
        {
            if (!location.IsInSource && location.Kind != LocationKind.ExternalFile)
            {
                return "metadata";
            }

            var span = location.GetLineSpan();
            return System.IO.Path.GetFileName(span.Path) + ":" + (span.StartLinePosition.Line + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public static string Class(LockClass lockClass) => lockClass.ToString();
    }
}
