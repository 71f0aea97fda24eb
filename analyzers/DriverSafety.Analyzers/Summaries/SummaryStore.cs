using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>
    /// Interprocedural facts per method of the compilation, inferred from bodies and memoised. A request computes the
    /// summaries of every not-yet-summarised method reachable from the requested one, one strongly connected group at
    /// a time, callees first, iterating recursive groups to their least fixpoint (members in source order, so the
    /// result does not depend on which body asked first or on which thread). No lock is held while a group is solved:
    /// two threads that reach the same group compute the same facts, and the first to finish publishes them.
    /// Across assemblies only annotations count.
    /// </summary>
    internal sealed class SummaryStore
    {
        /// <summary>Passes over one recursive group of methods before its fixpoint is taken as reached (recursion rarely needs more than two).</summary>
        public const int MaxPasses = 8;

        private readonly ContractProvider _contracts;
        private readonly ConcurrentDictionary<IMethodSymbol, MethodSummary> _done = new ConcurrentDictionary<IMethodSymbol, MethodSummary>(SymbolEqualityComparer.Default);
        private readonly ConditionalWeakTable<SyntaxNode, WeakReference<ControlFlowGraph>> _graphs = new ConditionalWeakTable<SyntaxNode, WeakReference<ControlFlowGraph>>();

        public SummaryStore(ContractProvider contracts) => _contracts = contracts;

        public ISummaryProvider For(CancellationToken cancellation) => new Requester(this, null, cancellation);

        /// <summary>Methods summarised so far (each solved once per compilation).</summary>
        public int Count => _done.Count;

        /// <summary>The methods summarised so far (for the benchmarks: which callee bodies a request had to bind).</summary>
        internal IEnumerable<IMethodSymbol> Summarised => _done.Keys;

        /// <summary>Summary runs of bodies so far (a recursive group's members are walked once per pass).</summary>
        public int Walks => _walks;

        private int _walks;

        /// <summary>
        /// The control-flow graph of a body, shared between its own analysis and a caller's summary when both need it
        /// while it is alive. Held weakly: a graph keeps its operation tree and semantic model alive, and holding every
        /// body's graph for the whole compilation cost more memory (and garbage-collection time) than building a
        /// collected one again costs time.
        /// </summary>
        public ControlFlowGraph? GraphOf(SyntaxNode body, System.Func<ControlFlowGraph?> create)
        {
            var weak = _graphs.GetValue(body, _ => new WeakReference<ControlFlowGraph>(null!));
            lock (weak)
            {
                if (weak.TryGetTarget(out var cached))
                {
                    return cached;
                }
            }

            var graph = create();
            if (graph is not null)
            {
                lock (weak)
                {
                    weak.SetTarget(graph);
                }
            }

            return graph;
        }

        private MethodSummary Get(IMethodSymbol method, Dictionary<IMethodSymbol, MethodSummary>? batch, CancellationToken cancellation)
        {
            method = Canonical(method);
            if (method.DeclaringSyntaxReferences.IsEmpty)
            {
                return MethodSummary.Empty;
            }

            if (_done.TryGetValue(method, out var done))
            {
                return done;
            }

            if (batch is not null)
            {
                // Asked from inside a group's solution: callees first means every callee outside the group is done.
                return batch.TryGetValue(method, out var provisional) ? provisional : MethodSummary.Empty;
            }

            Solve(method, cancellation);
            return _done.TryGetValue(method, out var computed) ? computed : MethodSummary.Empty;
        }

        private void Solve(IMethodSymbol root, CancellationToken cancellation)
        {
            var components = StronglyConnected.From<IMethodSymbol>(root, m => Callees(m, cancellation), m => _done.ContainsKey(m), SymbolEqualityComparer.Default);
            foreach (var (unordered, recursive) in components)
            {
                var members = unordered.OrderBy(SourceOrder.Key, System.StringComparer.Ordinal).ToList();
                var batch = new Dictionary<IMethodSymbol, MethodSummary>(SymbolEqualityComparer.Default);
                foreach (var method in members)
                {
                    batch[method] = MethodSummary.Empty;
                }

                for (var pass = 0; pass < (recursive ? MaxPasses : 1); pass++)
                {
                    var changed = false;
                    foreach (var method in members)
                    {
                        var summary = Summarize(method, batch, cancellation);
                        if (!summary.SameFacts(batch[method]))
                        {
                            batch[method] = summary;
                            changed = true;
                        }
                    }

                    if (!changed)
                    {
                        break;
                    }
                }

                foreach (var method in members)
                {
                    _done.TryAdd(method, batch[method]);
                }
            }
        }

        /// <summary>The methods of this compilation whose summaries the engine may ask for when it walks <paramref name="method"/>'s body.</summary>
        private IEnumerable<IMethodSymbol> Callees(IMethodSymbol method, CancellationToken cancellation)
        {
            var body = BodyOf(method, cancellation);
            if (body is null)
            {
                yield break;
            }

            var pending = new Stack<IOperation>();
            pending.Push(body.Value.Operation);
            while (pending.Count > 0)
            {
                var operation = pending.Pop();
                if (operation is IAnonymousFunctionOperation)
                {
                    continue;
                }

                IMethodSymbol? target = operation switch
                {
                    IInvocationOperation invocation => invocation.TargetMethod,
                    IObjectCreationOperation creation => creation.Constructor,
                    IBinaryOperation binary => binary.OperatorMethod,
                    IUnaryOperation unary => unary.OperatorMethod,
                    IConversionOperation conversion => conversion.OperatorMethod,
                    _ => null,
                };
                if (target is not null && target.MethodKind != MethodKind.LocalFunction && IsSummarised(target))
                {
                    yield return Canonical(target);
                }

                if (operation is IPropertyReferenceOperation property)
                {
                    foreach (var accessor in new[] { property.Property.GetMethod, property.Property.SetMethod })
                    {
                        if (accessor is not null && IsSummarised(accessor))
                        {
                            yield return Canonical(accessor);
                        }
                    }
                }

                foreach (var child in operation.ChildOperations.Reverse())
                {
                    pending.Push(child);
                }
            }
        }

        private bool IsSummarised(IMethodSymbol method)
        {
            var contract = _contracts.ForMethod(method);
            return !contract.IsTrusted && !Canonical(method).DeclaringSyntaxReferences.IsEmpty;
        }

        private MethodSummary Summarize(IMethodSymbol method, Dictionary<IMethodSymbol, MethodSummary> batch, CancellationToken cancellation)
        {
            var body = BodyOf(method, cancellation);
            if (body is null)
            {
                return MethodSummary.Empty;
            }

            var model = body.Value.Model;
            var cfg = GraphOf(body.Value.Operation.Syntax, () => ControlFlowGraph.Create(body.Value.Operation.Syntax, model, cancellation));
            if (cfg is null)
            {
                return MethodSummary.Empty;
            }

            Interlocked.Increment(ref _walks);
            var context = new BodyContext(method, _contracts.ForMethod(method), body.Value.Operation.Syntax);
            var collector = new SummaryCollector(method, context, _contracts);
            var engine = new FlowEngine(_contracts, new Requester(this, batch, cancellation), collector, cancellation, collectingSummary: true);
            engine.RunForSummary(cfg, context);

            // A body that exhausts the step budget has an unknown summary: no events (§7.21).
            return engine.Truncated ? MethodSummary.Empty : collector.Result();
        }

        private (IOperation Operation, SemanticModel Model)? BodyOf(IMethodSymbol method, CancellationToken cancellation)
        {
            foreach (var reference in Canonical(method).DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellation);
                var model = _contracts.Models.For(syntax.SyntaxTree);
                var operation = model.GetOperation(syntax, cancellation);
                if (operation is IMethodBodyOperation or IConstructorBodyOperation || operation is IBlockOperation { Parent: null })
                {
                    return (operation, model);
                }
            }

            return null;
        }

        private static IMethodSymbol Canonical(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            return method.PartialImplementationPart ?? method;
        }

        private sealed class Requester : ISummaryProvider
        {
            private readonly SummaryStore _store;
            private readonly Dictionary<IMethodSymbol, MethodSummary>? _batch;
            private readonly CancellationToken _cancellation;

            public Requester(SummaryStore store, Dictionary<IMethodSymbol, MethodSummary>? batch, CancellationToken cancellation)
            {
                _store = store;
                _batch = batch;
                _cancellation = cancellation;
            }

            public MethodSummary Get(IMethodSymbol method) => _store.Get(method, _batch, _cancellation);
        }
    }

    /// <summary>A deterministic order of symbols: by file, then position.</summary>
    internal static class SourceOrder
    {
        public static string Key(ISymbol symbol)
        {
            var location = symbol.Locations.FirstOrDefault(l => l.IsInSource);
            return location is null
                ? symbol.ToDisplayString()
                : location.SourceTree!.FilePath + ":" + location.SourceSpan.Start.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
