using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Summaries;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>
    /// Where reclaim takes a lock class (SPEC §7.20): a blocking acquisition in a body that runs holding the reclaim
    /// pseudo-lock (a <c>[ReclaimContext]</c> method, override or implementation, or a lambda or method converted to a
    /// <c>[ReclaimContext]</c> delegate type), directly or in a callee.
    /// </summary>
    internal sealed class ReclaimEntry
    {
        public ReclaimEntry(LockClass lockClass, string reclaimBody, Location location, CallChain? chain)
        {
            Class = lockClass;
            ReclaimBody = reclaimBody;
            Location = location;
            Chain = chain;
        }

        public LockClass Class { get; }

        /// <summary>The body that runs in reclaim context (the method, or "lambda").</summary>
        public string ReclaimBody { get; }

        /// <summary>The acquisition, or the call in the reclaim body that leads to it.</summary>
        public Location Location { get; }

        /// <summary>The callee chain when the acquisition is in a callee (<c>Helper → Mutex.Lock</c>).</summary>
        public CallChain? Chain { get; }

        public string Describe() =>
            $"reclaim takes '{Class}' in '{ReclaimBody}' ({LockOrderText.Where(Location)}{(Chain is null ? string.Empty : ", through " + Chain)})";
    }

    /// <summary>Why a class is a reclaim lock: reclaim takes <see cref="Entry"/>'s class, and then each edge in turn, down to <see cref="Class"/>.</summary>
    internal sealed class ReclaimWitness
    {
        public ReclaimWitness(LockClass lockClass, ReclaimEntry entry, ImmutableArray<LockOrderEdge> edges)
        {
            Class = lockClass;
            Entry = entry;
            Edges = edges;
        }

        public LockClass Class { get; }
        public ReclaimEntry Entry { get; }

        /// <summary>The lock-order edges from the entry's class to <see cref="Class"/> (empty when reclaim takes it itself), shortest first.</summary>
        public ImmutableArray<LockOrderEdge> Edges { get; }

        /// <summary>Every place on the chain (for additional locations): the reclaim acquisition, then each edge's witness.</summary>
        public IEnumerable<Location> Locations => new[] { Entry.Location }.Concat(Edges.Select(e => e.Witness));

        /// <summary>The chain in words: <c>reclaim takes 'A' in 'Scan' (f.cs:12); 'B' acquired while 'A' is held in 'Evict' (f.cs:40)</c>.</summary>
        public string Describe() => string.Join("; ", new[] { Entry.Describe() }.Concat(Edges.Select(e => e.Describe())));
    }

    /// <summary>
    /// The reclaim locks of the compilation, decided at compilation end (SPEC §7.20): the classes reclaim reaches,
    /// acquired blocking in reclaim context or its callees, or acquired (blocking) while such a lock is held (the
    /// lock-order graph's edges from it). Each has one witness, the shortest chain, chosen deterministically.
    /// </summary>
    internal sealed class ReclaimLocks
    {
        private readonly Dictionary<LockClass, ReclaimWitness> _witnesses;

        public ReclaimLocks(Dictionary<LockClass, ReclaimWitness> witnesses, ImmutableArray<LockClass> classes)
        {
            _witnesses = witnesses;
            Classes = classes;
        }

        public static ReclaimLocks None { get; } = new ReclaimLocks(new Dictionary<LockClass, ReclaimWitness>(), ImmutableArray<LockClass>.Empty);

        /// <summary>The reclaim lock classes, in a deterministic order (the order they were reached).</summary>
        public ImmutableArray<LockClass> Classes { get; }

        public bool IsReclaimLock(LockClass lockClass) => _witnesses.ContainsKey(lockClass);

        /// <summary>The chain that makes <paramref name="lockClass"/> a reclaim lock, or null when it is not one.</summary>
        public ReclaimWitness? WitnessFor(LockClass lockClass) => _witnesses.TryGetValue(lockClass, out var witness) ? witness : null;
    }

    /// <summary>Which bodies run in reclaim context, holding the reclaim pseudo-lock (SPEC §3.1 <c>ReclaimContext</c>, §7.6c, §7.20).</summary>
    internal sealed class ReclaimContexts
    {
        private readonly ContractProvider _contracts;
        private readonly ConcurrentDictionary<ISymbol, bool> _methods = new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default);

        public ReclaimContexts(ContractProvider contracts) => _contracts = contracts;

        /// <summary>
        /// The body runs in reclaim context: a method (or accessor) that is <c>[ReclaimContext]</c> itself or overrides or
        /// implements one that is; a lambda converted to a <c>[ReclaimContext]</c> delegate type; a lambda run at once, or
        /// a local function, inside such a body.
        /// </summary>
        public bool RunsInReclaim(BodyContext body)
        {
            if (body.Symbol is not { } symbol)
            {
                return false;
            }

            if (symbol.MethodKind == MethodKind.AnonymousFunction && body.Kind != BodyKind.LambdaRunsAtOnce)
            {
                // Stored or queued, it runs later, elsewhere: in reclaim only as a reclaim callback.
                return IsReclaimDelegate(_contracts.Models.For(body.BodySyntax.SyntaxTree).GetTypeInfo(body.BodySyntax).ConvertedType as INamedTypeSymbol);
            }

            return RunsInReclaim(symbol, body.BodySyntax, 0);
        }

        /// <summary>A method is <c>[ReclaimContext]</c>, by its own attribute or the one of a member it overrides or implements.</summary>
        public bool IsReclaimMethod(IMethodSymbol method) =>
            _methods.TryGetValue(method.OriginalDefinition, out var known) ? known : _methods.GetOrAdd(method.OriginalDefinition, m => ComputeReclaimMethod((IMethodSymbol)m));

        /// <summary>Every lambda or method converted to this delegate type runs in reclaim context.</summary>
        public bool IsReclaimDelegate(INamedTypeSymbol? type) =>
            type is { TypeKind: TypeKind.Delegate } &&
            (Has(type.OriginalDefinition) || (type.DelegateInvokeMethod is { } invoke && Has(invoke.OriginalDefinition)));

        private bool RunsInReclaim(IMethodSymbol symbol, SyntaxNode? syntax, int depth)
        {
            if (depth > 16)
            {
                return false;
            }

            switch (symbol.MethodKind)
            {
                case MethodKind.AnonymousFunction:
                    var lambda = syntax ?? symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
                    if (lambda is not null && IsReclaimDelegate(_contracts.Models.For(lambda.SyntaxTree).GetTypeInfo(lambda).ConvertedType as INamedTypeSymbol))
                    {
                        return true;
                    }

                    // A lambda that is not a reclaim callback runs in reclaim only where it runs at once, in its caller's
                    // state; a stored one runs later, elsewhere. Only the models table says which: look at the caller.
                    return symbol.ContainingSymbol is IMethodSymbol container && RunsAtOnce(lambda) && RunsInReclaim(container, null, depth + 1);
                case MethodKind.LocalFunction:
                    return IsReclaimMethod(symbol) ||
                        (_contracts.ForMethod(symbol).HasLockContract == false && symbol.ContainingSymbol is IMethodSymbol outer && RunsInReclaim(outer, null, depth + 1));
                default:
                    return IsReclaimMethod(symbol);
            }
        }

        /// <summary>A lambda passed as an argument (the engine decides whether it runs at once; here: passed, not stored or returned).</summary>
        private static bool RunsAtOnce(SyntaxNode? lambda) =>
            lambda?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax;

        private bool ComputeReclaimMethod(IMethodSymbol method)
        {
            for (var current = method; current is not null; current = current.OverriddenMethod?.OriginalDefinition)
            {
                if (Has(current))
                {
                    return true;
                }
            }

            var type = method.ContainingType;
            if (type is null || method.IsStatic)
            {
                return false;
            }

            foreach (var member in method.ExplicitInterfaceImplementations)
            {
                if (Has(member.OriginalDefinition))
                {
                    return true;
                }
            }

            foreach (var @interface in type.AllInterfaces)
            {
                foreach (var member in @interface.GetMembers().OfType<IMethodSymbol>())
                {
                    if (Has(member.OriginalDefinition) && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member)?.OriginalDefinition, method))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private bool Has(ISymbol symbol)
        {
            var reclaim = _contracts.Known.ReclaimContext;
            if (reclaim is null)
            {
                return false;
            }

            foreach (var attribute in _contracts.Known.AttributesOf(symbol))
            {
                if (KnownSymbols.Is(attribute, reclaim))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The reclaim pseudo-lock's whole-program fact, filled concurrently by the body walks (<see cref="ReclaimCollector"/>)
    /// and solved once at compilation end (<see cref="Solve"/>). DRV1007 never sees it: the lock-order graph has no
    /// reclaim node, so a cycle through reclaim is only ever DRV1008 (SPEC §5, §7.19).
    /// </summary>
    internal sealed class ReclaimFacts
    {
        private readonly ConcurrentDictionary<LockClass, ReclaimEntry> _entries = new ConcurrentDictionary<LockClass, ReclaimEntry>();
        private readonly ConcurrentDictionary<IOperation, (CallSite Site, string Body, bool Substitute)> _pendingCalls =
            new ConcurrentDictionary<IOperation, (CallSite, string, bool)>();

        private readonly object _gate = new object();
        private ReclaimLocks? _solved;

        public ReclaimFacts(ContractProvider contracts) => Contexts = new ReclaimContexts(contracts);

        public ReclaimContexts Contexts { get; }

        /// <summary>Reclaim takes a class (blocking): the first witness in (file path, position) order is kept.</summary>
        public void Add(ReclaimEntry entry) =>
            _entries.AddOrUpdate(entry.Class, entry, (_, existing) => LockOrderGraph.Before(entry.Location, existing.Location) ? entry : existing);

        /// <summary>
        /// A call in a reclaim body (or a method converted to a reclaim delegate type) whose callee's summary decides
        /// which classes it takes: resolved at compilation end, when every summary can be asked for.
        /// </summary>
        public void AddCall(CallSite site, string reclaimBody, bool substitute) => _pendingCalls.TryAdd(site.Operation, (site, reclaimBody, substitute));

        /// <summary>
        /// The reclaim locks, computed once, at compilation end, from the entries, the pending calls (through the
        /// callees' summaries) and the lock-order graph's edges (a lock taken while a reclaim lock is held is one too).
        /// </summary>
        public ReclaimLocks Solve(LockOrderGraph graph, ISummaryProvider summaries, CancellationToken cancellation)
        {
            lock (_gate)
            {
                if (_solved is not null)
                {
                    return _solved;
                }

                foreach (var pending in _pendingCalls.Values.OrderBy(p => p.Site.Location.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(p => p.Site.Location.SourceSpan.Start))
                {
                    cancellation.ThrowIfCancellationRequested();
                    foreach (var acquisition in summaries.Get(pending.Site.Method).Events.OfType<AcquisitionEvent>())
                    {
                        if (!acquisition.Blocking)
                        {
                            continue;
                        }

                        var path = pending.Substitute && acquisition.Lock is not null ? pending.Site.Substitute(acquisition.Lock) : null;
                        var lockClass = path is null ? acquisition.Class : LockClass.Of(path, acquisition.Class?.Subclass ?? 0);
                        if (lockClass is not null)
                        {
                            var chain = acquisition.Chain.Prepend(pending.Site.Method.Name, pending.Site.Location);
                            Add(new ReclaimEntry(lockClass, pending.Body, pending.Site.Location, chain));
                        }
                    }
                }

                _solved = Reach(graph, cancellation);
                return _solved;
            }
        }

        /// <summary>Breadth-first from every class reclaim takes itself, over the lock-order edges: linear in the edges.</summary>
        private ReclaimLocks Reach(LockOrderGraph graph, CancellationToken cancellation)
        {
            if (_entries.IsEmpty)
            {
                return ReclaimLocks.None;
            }

            var edges = graph.Edges();
            var outgoing = new Dictionary<LockClass, List<LockOrderEdge>>();
            foreach (var edge in edges)
            {
                if (!outgoing.TryGetValue(edge.From, out var list))
                {
                    list = new List<LockOrderEdge>();
                    outgoing.Add(edge.From, list);
                }

                list.Add(edge);
            }

            var witnesses = new Dictionary<LockClass, ReclaimWitness>();
            var order = ImmutableArray.CreateBuilder<LockClass>();
            var queue = new Queue<LockClass>();
            foreach (var entry in _entries.Values.OrderBy(e => e.Location.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(e => e.Location.SourceSpan.Start)
                .ThenBy(e => e.Class.ToString(), System.StringComparer.Ordinal))
            {
                if (!witnesses.ContainsKey(entry.Class))
                {
                    witnesses.Add(entry.Class, new ReclaimWitness(entry.Class, entry, ImmutableArray<LockOrderEdge>.Empty));
                    order.Add(entry.Class);
                    queue.Enqueue(entry.Class);
                }
            }

            while (queue.Count > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                var from = queue.Dequeue();
                if (!outgoing.TryGetValue(from, out var next))
                {
                    continue;
                }

                var witness = witnesses[from];
                foreach (var edge in next)
                {
                    if (witnesses.ContainsKey(edge.To))
                    {
                        continue;
                    }

                    witnesses.Add(edge.To, new ReclaimWitness(edge.To, witness.Entry, witness.Edges.Add(edge)));
                    order.Add(edge.To);
                    queue.Enqueue(edge.To);
                }
            }

            return new ReclaimLocks(witnesses, order.ToImmutable());
        }
    }

    /// <summary>
    /// Records what reclaim takes from each body's walk: the blocking acquisitions of bodies that run in reclaim context
    /// (and the calls there, whose callees' summaries are read at compilation end), and the methods converted to a
    /// <c>[ReclaimContext]</c> delegate type. A try-lock that cannot block takes nothing (SPEC §6: a shrinker that only
    /// try-locks makes no reclaim lock).
    /// </summary>
    internal sealed class ReclaimCollector : FlowObserver
    {
        private readonly ContractProvider _contracts;
        private readonly ReclaimFacts _facts;
        private BodyContext? _body;
        private bool _inReclaim;

        public ReclaimCollector(ContractProvider contracts, ReclaimFacts facts)
        {
            _contracts = contracts;
            _facts = facts;
        }

        public override void OnCall(CallEvent e)
        {
            if (e.Site.ConvertedTo is { } delegateType)
            {
                // A method group converted to a reclaim callback type: the method runs in reclaim, wherever it is invoked.
                if (_facts.Contexts.IsReclaimDelegate(delegateType) && !_facts.Contexts.IsReclaimMethod(e.Site.Method) && IsSummarised(e.Site.Method))
                {
                    _facts.AddCall(e.Site, e.Site.Method.Name + "' converted to '" + delegateType.Name, substitute: false);
                }

                return;
            }

            if (!ReferenceEquals(_body, e.Body))
            {
                _body = e.Body;
                _inReclaim = _facts.Contexts.RunsInReclaim(e.Body);
            }

            if (!_inReclaim)
            {
                return;
            }

            var acquired = false;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock acquire when LockClass.Of(acquire.Lock, acquire.Subclass) is { } lockClass:
                        _facts.Add(new ReclaimEntry(lockClass, e.Body.Name, e.Site.Location, null));
                        acquired = true;
                        break;
                    case TryAcquireLock tryAcquire:
                        acquired = true;
                        if (tryAcquire.Blocking)
                        {
                            foreach (var lockPath in tryAcquire.Locks)
                            {
                                if (LockClass.Of(lockPath, 0) is { } tried)
                                {
                                    _facts.Add(new ReclaimEntry(tried, e.Body.Name, e.Site.Location, null));
                                }
                            }
                        }

                        break;
                }
            }

            if (!acquired && IsSummarised(e.Site.Method))
            {
                _facts.AddCall(e.Site, e.Body.Name, substitute: true);
            }
        }

        public override void OnBodyDone(BodyContext body)
        {
            _body = null;
            _inReclaim = false;
        }

        private bool IsSummarised(IMethodSymbol method)
        {
            var contract = _contracts.ForMethod(method);
            return !contract.HasLockEffects && !contract.IsTrusted && !method.OriginalDefinition.DeclaringSyntaxReferences.IsEmpty && method.MethodKind != MethodKind.LocalFunction;
        }
    }
}
