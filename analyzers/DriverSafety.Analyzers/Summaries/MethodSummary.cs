using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>One call of a chain: the method called, and where (null for the last link, the primitive).</summary>
    internal sealed class ChainLink
    {
        public ChainLink(string name, Location? location)
        {
            Name = name;
            Location = location;
        }

        public string Name { get; }
        public Location? Location { get; }
    }

    /// <summary>A call chain from a method down to the event (<c>Inner → Helper → DmaResv.Lock</c>), kept structured.</summary>
    internal sealed class CallChain
    {
        public CallChain(ImmutableArray<ChainLink> links) => Links = links;

        public ImmutableArray<ChainLink> Links { get; }

        public static CallChain Of(string name, Location? location) => new CallChain(ImmutableArray.Create(new ChainLink(name, location)));

        public CallChain Prepend(string name, Location? location) => new CallChain(Links.Insert(0, new ChainLink(name, location)));

        public override string ToString() => string.Join(" → ", Links.Select(l => l.Name));
    }

    /// <summary>
    /// A lock class in lockdep's sense (SPEC §4, §7.19): the declaration a lock expression ends in (a field or property;
    /// for a bare parameter or local, the lock's type), with its nesting subclass.
    /// </summary>
    internal sealed class LockClass : System.IEquatable<LockClass>
    {
        public LockClass(ISymbol declaration, int subclass)
        {
            Declaration = declaration;
            Subclass = subclass;
        }

        public ISymbol Declaration { get; }
        public int Subclass { get; }

        public static LockClass? Of(AccessPath path, int subclass)
        {
            ISymbol? declaration = path.Members.IsEmpty ? path.Type : path.Members[path.Members.Length - 1];
            return declaration is null ? null : new LockClass(declaration.OriginalDefinition, subclass);
        }

        public bool Equals(LockClass? other) => other is not null && SymbolEqualityComparer.Default.Equals(Declaration, other.Declaration) && Subclass == other.Subclass;
        public override bool Equals(object? obj) => obj is LockClass other && Equals(other);
        public override int GetHashCode() => SymbolEqualityComparer.Default.GetHashCode(Declaration) * 31 + Subclass;

        public override string ToString()
        {
            var name = Declaration is ITypeSymbol type ? type.Name : (Declaration.ContainingType?.Name + "." + Declaration.Name);
            return Subclass == 0 ? name : name + "/" + Subclass.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A condition on the summarised method's own parameters under which an event happens, evaluated at each call site
    /// (the execution-context family's "sleeps only if <c>gfp</c> has a may-sleep bit"). Events without one always happen.
    /// </summary>
    internal abstract class ParameterCondition
    {
        /// <summary>False where the call site proves the condition cannot hold; true where it may.</summary>
        public abstract bool MayHold(Flow.CallSite site, Flow.FlowState state);

        public abstract string Identity { get; }
    }

    /// <summary>
    /// Something a method's body causes independent of its caller (§7.21), with the locks it holds at that point in its
    /// own frame, the chain that proves it, and whether the method already reported it itself.
    /// </summary>
    internal abstract class SummaryEvent
    {
        protected SummaryEvent(CallChain chain, ImmutableArray<LockExpr> heldAt, ParameterCondition? condition, bool reportedInCallee)
        {
            Chain = chain;
            HeldAt = heldAt;
            Condition = condition;
            ReportedInCallee = reportedInCallee;
        }

        public CallChain Chain { get; }

        /// <summary>The locks held at the event that the method's frame can name (its parameters, <c>this</c>, statics).</summary>
        public ImmutableArray<LockExpr> HeldAt { get; }
        public ParameterCondition? Condition { get; }
        public bool ReportedInCallee { get; }

        /// <summary>What makes two events the same fact (the chain is a witness, not part of it).</summary>
        public abstract string Identity { get; }
    }

    /// <summary>The method acquires a lock (directly or through its callees).</summary>
    internal sealed class AcquisitionEvent : SummaryEvent
    {
        public AcquisitionEvent(LockExpr? lockExpr, LockClass? lockClass, bool blocking, bool reentrant, bool withAcquireContext, bool releasedRequiredFirst,
            CallChain chain, ImmutableArray<LockExpr> heldAt, ParameterCondition? condition, bool reportedInCallee, int contextParameter = -1)
            : base(chain, heldAt, condition, reportedInCallee)
        {
            ContextParameter = contextParameter;
            Reentrant = reentrant;
            Lock = lockExpr;
            Class = lockClass;
            Blocking = blocking;
            WithAcquireContext = withAcquireContext;
            ReleasedRequiredFirst = releasedRequiredFirst;
        }

        /// <summary>The lock in the method's own frame; null for a lock the frame cannot name (a local of the callee).</summary>
        public LockExpr? Lock { get; }
        public LockClass? Class { get; }

        /// <summary>An acquisition that can wait (every acquire; a try only when blocking): it orders locks (§7.19).</summary>
        public bool Blocking { get; }
        public bool WithAcquireContext { get; }

        /// <summary>
        /// The ordinal of the method's own parameter passed as the <c>[AcquireContext]</c> argument of this acquisition
        /// (-1: none, or not one of its parameters): the caller substitutes it to tell whether two locks of one class
        /// were taken with one acquire context (DRV1010).
        /// </summary>
        public int ContextParameter { get; }

        /// <summary>A .NET monitor (<c>lock</c>): taking it again on the same thread nests, it does not deadlock.</summary>
        public bool Reentrant { get; }

        /// <summary>The lock is one the method requires by contract and released before taking it again (§7.3): not a self-deadlock for its caller.</summary>
        public bool ReleasedRequiredFirst { get; }

        public override string Identity =>
            "acquire:" + (Lock is null ? "-" : LockIdentity.Of(Lock)) + ":" + Class + ":" + Blocking + ":" + Reentrant + ":" + WithAcquireContext + ":" + ReleasedRequiredFirst + ":" + ReportedInCallee + ":" + Condition?.Identity + ":" + ContextParameter.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Interprocedural facts about one method, inferred from its body: memoised per compilation.</summary>
    internal sealed class MethodSummary
    {
        public static MethodSummary Empty { get; } = new MethodSummary(ImmutableArray<SummaryEvent>.Empty);

        public MethodSummary(ImmutableArray<SummaryEvent> events) => Events = events;

        /// <summary>The events, sorted by identity (deterministic), one witness each.</summary>
        public ImmutableArray<SummaryEvent> Events { get; }

        /// <summary>This summary without one kind of event (a family whose facts the callee's contract already states).</summary>
        public MethodSummary Without<T>()
            where T : SummaryEvent =>
            Events.Any(e => e is T) ? new MethodSummary(Events.Where(e => e is not T).ToImmutableArray()) : this;

        public bool SameFacts(MethodSummary other) =>
            Events.Length == other.Events.Length && Events.Select(e => e.Identity).SequenceEqual(other.Events.Select(e => e.Identity));
    }

    /// <summary>Gives the summary of a method of the compilation (empty for one it cannot see).</summary>
    internal interface ISummaryProvider
    {
        MethodSummary Get(IMethodSymbol method);
    }

    /// <summary>A resolved lock expression's identity, independent of how it was written.</summary>
    internal static class LockIdentity
    {
        public static string Of(LockExpr expr) =>
            expr.Kind + ":" + expr.ParameterOrdinal + ":" + expr.StaticType?.ToDisplayString() + ":" + string.Join(".", expr.Members.Select(m => m.ToDisplayString()));
    }
}
