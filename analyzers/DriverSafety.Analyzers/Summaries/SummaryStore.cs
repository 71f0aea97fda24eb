using System.Collections.Generic;
using System.Collections.Immutable;
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
    /// Interprocedural facts per method of the compilation, inferred from bodies and memoised. A request computes
    /// the summaries of every not-yet-summarised method reachable from the requested one, callees first, and
    /// iterates them to their least fixpoint (so recursion is handled and the result does not depend on which
    /// body asked first). Across assemblies only annotations count.
    /// </summary>
    internal sealed class SummaryStore
    {
        /// <summary>Passes over one recursive group of methods before its fixpoint is taken as reached (recursion rarely needs more than two).</summary>
        public const int MaxPasses = 8;

        private readonly Compilation _compilation;
        private readonly ContractProvider _contracts;
        private readonly object _gate = new object();
        private readonly Dictionary<IMethodSymbol, MethodSummary> _done = new Dictionary<IMethodSymbol, MethodSummary>(SymbolEqualityComparer.Default);
        private readonly ConditionalWeakTable<SyntaxNode, StrongBox<ControlFlowGraph?>> _graphs = new ConditionalWeakTable<SyntaxNode, StrongBox<ControlFlowGraph?>>();
        private Dictionary<IMethodSymbol, MethodSummary>? _provisional;

        public SummaryStore(Compilation compilation, ContractProvider contracts)
        {
            _compilation = compilation;
            _contracts = contracts;
        }

        public ISummaryProvider For(CancellationToken cancellation) => new Requester(this, cancellation);

        /// <summary>
        /// The control-flow graph of a body, built once whether its own analysis or a caller's summary needs it first
        /// (held weakly, like the syntax it belongs to).
        /// </summary>
        public ControlFlowGraph? GraphOf(SyntaxNode body, System.Func<ControlFlowGraph?> create) =>
            _graphs.GetValue(body, _ => new StrongBox<ControlFlowGraph?>(create())).Value;

        private MethodSummary Get(IMethodSymbol method, CancellationToken cancellation)
        {
            method = Canonical(method);
            if (method.DeclaringSyntaxReferences.IsEmpty)
            {
                return MethodSummary.Empty;
            }

            lock (_gate)
            {
                if (_done.TryGetValue(method, out var done))
                {
                    return done;
                }

                if (_provisional is not null)
                {
                    // Asked from inside a batch: the batch holds every method reachable from its root.
                    return _provisional.TryGetValue(method, out var provisional) ? provisional : MethodSummary.Empty;
                }

                ComputeBatch(method, cancellation);
                return _done.TryGetValue(method, out var computed) ? computed : MethodSummary.Empty;
            }
        }

        private void ComputeBatch(IMethodSymbol root, CancellationToken cancellation)
        {
            _provisional = new Dictionary<IMethodSymbol, MethodSummary>(SymbolEqualityComparer.Default);
            try
            {
                // Callees first: a method outside any recursion is summarised once, from final callee summaries; the
                // members of a recursive group start empty and iterate to their least fixpoint.
                foreach (var (members, recursive) in StronglyConnectedCalleesFirst(root, cancellation))
                {
                    foreach (var method in members)
                    {
                        _provisional[method] = MethodSummary.Empty;
                    }

                    for (var pass = 0; pass < (recursive ? MaxPasses : 1); pass++)
                    {
                        var changed = false;
                        foreach (var method in members)
                        {
                            var summary = Summarize(method, cancellation);
                            if (!summary.SameFacts(_provisional[method]))
                            {
                                _provisional[method] = summary;
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
                        _done[method] = _provisional[method];
                        _provisional.Remove(method);
                    }
                }
            }
            finally
            {
                _provisional = null;
            }
        }

        /// <summary>
        /// The strongly connected components of the not-yet-summarised call graph reachable from <paramref name="root"/>,
        /// callees before callers (Tarjan's algorithm, iterative so deep call chains cannot overflow the stack).
        /// </summary>
        private List<(List<IMethodSymbol> Members, bool Recursive)> StronglyConnectedCalleesFirst(IMethodSymbol root, CancellationToken cancellation)
        {
            var result = new List<(List<IMethodSymbol>, bool)>();
            var index = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
            var low = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
            var onStack = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            var selfCalls = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            var stack = new Stack<IMethodSymbol>();
            var frames = new Stack<(IMethodSymbol Method, IEnumerator<IMethodSymbol> Callees)>();

            void Enter(IMethodSymbol method)
            {
                index[method] = low[method] = index.Count;
                stack.Push(method);
                onStack.Add(method);
                frames.Push((method, Callees(method, cancellation).GetEnumerator()));
            }

            Enter(root);
            while (frames.Count > 0)
            {
                var (method, callees) = frames.Peek();
                if (callees.MoveNext())
                {
                    var callee = callees.Current;
                    if (_done.ContainsKey(callee))
                    {
                        continue;
                    }

                    if (!index.ContainsKey(callee))
                    {
                        Enter(callee);
                    }
                    else if (onStack.Contains(callee))
                    {
                        low[method] = System.Math.Min(low[method], index[callee]);
                        if (SymbolEqualityComparer.Default.Equals(callee, method))
                        {
                            selfCalls.Add(method);
                        }
                    }

                    continue;
                }

                frames.Pop();
                if (frames.Count > 0)
                {
                    var caller = frames.Peek().Method;
                    low[caller] = System.Math.Min(low[caller], low[method]);
                }

                if (low[method] == index[method])
                {
                    var members = new List<IMethodSymbol>();
                    IMethodSymbol member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        members.Add(member);
                    }
                    while (!SymbolEqualityComparer.Default.Equals(member, method));

                    members.Reverse();
                    result.Add((members, members.Count > 1 || selfCalls.Contains(method)));
                }
            }

            return result;
        }

        /// <summary>The methods of this compilation whose summaries the engine asks for when it walks <paramref name="method"/>'s body.</summary>
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
            return !contract.HasLockEffects && !contract.IsLockPrimitive && !Canonical(method).DeclaringSyntaxReferences.IsEmpty;
        }

        private MethodSummary Summarize(IMethodSymbol method, CancellationToken cancellation)
        {
            var body = BodyOf(method, cancellation);
            if (body is null)
            {
                return MethodSummary.Empty;
            }

            var collector = new AcquisitionCollector(method);
            var engine = new FlowEngine(_contracts, For(cancellation), collector, cancellation);
            var model = body.Value.Model;
            var cfg = GraphOf(body.Value.Operation.Syntax, () => ControlFlowGraph.Create(body.Value.Operation.Syntax, model, cancellation));
            if (cfg is null)
            {
                return MethodSummary.Empty;
            }

            engine.RunForSummary(cfg, new BodyContext(method, _contracts.ForMethod(method), body.Value.Operation.Syntax));
            return engine.Truncated ? MethodSummary.Empty : new MethodSummary(collector.Result());
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
            private readonly CancellationToken _cancellation;

            public Requester(SummaryStore store, CancellationToken cancellation)
            {
                _store = store;
                _cancellation = cancellation;
            }

            public MethodSummary Get(IMethodSymbol method) => _store.Get(method, _cancellation);
        }

        /// <summary>Collects the locks a body acquires, translated into the frame of the summarised method.</summary>
        private sealed class AcquisitionCollector : FlowObserver
        {
            private readonly IMethodSymbol _method;
            private readonly Dictionary<string, AcquiredLock> _found = new Dictionary<string, AcquiredLock>();

            public AcquisitionCollector(IMethodSymbol method) => _method = method;

            // An acquisition of a lock the method already holds by its own contract is that method's own DRV1005,
            // reported in its body; it is not repeated at every caller.
            public override void LockAcquired(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld)
            {
                if (alreadyHeld?.Origin != HoldOrigin.Entry)
                {
                    Add(lockPath, site is IInvocationOperation invocation ? invocation.TargetMethod.ContainingType.Name + "." + invocation.TargetMethod.Name : "lock");
                }
            }

            public override void CalleeAcquires(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld, string chain)
            {
                if (alreadyHeld?.Origin != HoldOrigin.Entry)
                {
                    Add(lockPath, chain);
                }
            }

            public ImmutableArray<AcquiredLock> Result() => _found.OrderBy(p => p.Key, System.StringComparer.Ordinal).Select(p => p.Value).ToImmutableArray();

            private void Add(AccessPath lockPath, string chain)
            {
                LockExpr? expr = lockPath.Kind switch
                {
                    PathRootKind.This => new LockExpr(LockRootKind.This, -1, null, lockPath.Members, lockPath.ToString()),
                    PathRootKind.Static => new LockExpr(LockRootKind.Static, -1, (INamedTypeSymbol)lockPath.Root!, lockPath.Members, lockPath.ToString()),
                    PathRootKind.Parameter when lockPath.Root is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, _method.OriginalDefinition) =>
                        new LockExpr(LockRootKind.Parameter, parameter.Ordinal, null, lockPath.Members, lockPath.ToString()),
                    _ => null,
                };
                if (expr is null)
                {
                    return;
                }

                var acquired = new AcquiredLock(expr, chain);
                if (!_found.ContainsKey(acquired.Identity))
                {
                    _found.Add(acquired.Identity, acquired);
                }
            }
        }
    }
}
