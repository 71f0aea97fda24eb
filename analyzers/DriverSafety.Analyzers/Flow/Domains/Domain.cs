using System.Collections.Generic;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>How two states meet.</summary>
    internal enum MergeKind
    {
        /// <summary>Forward edges meeting at a block (branches, <c>break</c>, <c>goto</c> forward, catch entry).</summary>
        Branch,

        /// <summary>A loop's back edge (or a backward <c>goto</c>) compared with the state the loop was entered with.</summary>
        LoopBackEdge,
    }

    /// <summary>
    /// Where two states meet, and who hears about facts that differ between them (Clang's <c>intersectAndWarn</c>: one
    /// routine for branch merges, loop heads and exits). <see cref="LeftEdge"/>/<see cref="RightEdge"/> locate the
    /// incoming paths (a branch condition, the last statement of a loop body) when each side is one path.
    /// </summary>
    internal sealed class MergeContext
    {
        public MergeContext(MergeKind kind, SyntaxNode? mergePoint, FlowState left, FlowState right, SyntaxNode? leftEdge, SyntaxNode? rightEdge, List<object>? mismatches)
        {
            Kind = kind;
            MergePoint = mergePoint;
            Left = left;
            Right = right;
            LeftEdge = leftEdge;
            RightEdge = rightEdge;
            Mismatches = mismatches;
        }

        public MergeKind Kind { get; }
        public SyntaxNode? MergePoint { get; }

        /// <summary>The whole states on both sides (a domain may consult another domain's facts: a known value decides a pending try).</summary>
        public FlowState Left { get; }
        public FlowState Right { get; }
        public SyntaxNode? LeftEdge { get; }
        public SyntaxNode? RightEdge { get; }

        /// <summary>Collects each domain's mismatch records in the reporting pass; null while the fixpoint runs.</summary>
        public List<object>? Mismatches { get; }

        public void Report(object mismatch) => Mismatches?.Add(mismatch);
    }

    /// <summary>
    /// One family's abstract domain: its values are immutable; the domain owns their join, the treatment of a loop's
    /// back edge, widening, equality, and how facts hang off values (locals, captures, call results).
    /// </summary>
    internal abstract class Domain
    {
        /// <summary>The slot of this domain's value in every <see cref="FlowState"/>.</summary>
        public int Slot { get; internal set; }

        /// <summary>
        /// Whether <see cref="Join"/> reports mismatches at forward merges (the reporting pass then joins a merge block's
        /// edges again to hear them); a domain that reports only at loop heads leaves ordinary merges to the fixpoint's state.
        /// </summary>
        public virtual bool ReportsAtForwardMerges => false;

        /// <summary>The value on entry to a body before its contract is applied (no fact).</summary>
        public abstract object Empty { get; }

        /// <summary>The join at a forward merge; mismatches go to <see cref="MergeContext.Report"/>.</summary>
        public abstract object Join(object left, object right, MergeContext merge);

        /// <summary>A loop head: <paramref name="entry"/> is the state the loop was entered with, <paramref name="backEdge"/> one back edge.</summary>
        public abstract object LoopBackEdge(object entry, object backEdge, MergeContext merge);

        /// <summary>
        /// Called for a block that reached its visit cap: the result must be an upper bound of <paramref name="value"/> from
        /// which further joins cannot climb forever (a domain of finite height may return the value itself).
        /// </summary>
        public virtual object Widen(object value) => value;

        public abstract bool ValueEquals(object left, object right);

        public virtual int ValueHash(object value) => 0;

        /// <summary>Forgets every fact attached to <paramref name="key"/> (the local was reassigned).</summary>
        public virtual object Forget(object value, ValueKey key) => value;

        /// <summary>Copies the facts attached to <paramref name="from"/> onto <paramref name="to"/> (negated for a bool where <paramref name="negate"/>).</summary>
        public virtual object Bind(object value, ValueKey from, ValueKey to, bool negate) => value;

        /// <summary>Drops facts attached to operation results once their block is done (only stored values outlive it).</summary>
        public virtual object DropOperationFacts(object value) => value;

        /// <summary>
        /// Refines the value on the branch where "<paramref name="key"/> <paramref name="test"/>" is <paramref name="truth"/>;
        /// returns null when the branch cannot be taken.
        /// </summary>
        public virtual object? Assume(object value, FlowState state, ValueKey key, ValueTest test, bool truth) => value;

        /// <summary>
        /// Refines the value on the branch where a member read (a field, a property, or a call of an instance method)
        /// "<paramref name="test"/>" is <paramref name="truth"/>: <c>if (obj.P)</c>, <c>obj.P != null</c>, <c>obj.IsX()</c>.
        /// Returns null when the branch cannot be taken.
        /// </summary>
        public virtual object? AssumeMember(object value, FlowState state, MemberRead read, ValueTest test, bool truth) => value;

        /// <summary>A value is stored into a field, property or element (not a local): <c>obj.P = v</c>.</summary>
        public virtual object StoreMember(object value, FlowState state, MemberStore store) => value;

        /// <summary>The value on entry to a body, after its lock contract is applied (the body's own contract of this family).</summary>
        public virtual object Enter(object value, BodyContext body, ContractProvider contracts) => value;
    }

    /// <summary>A member read that a branch condition tests, with its receiver's access path and key.</summary>
    internal sealed class MemberRead
    {
        public MemberRead(ISymbol member, AccessPath? instance, ValueKey? instanceKey, ContractProvider contracts)
        {
            Member = member;
            Instance = instance;
            InstanceKey = instanceKey;
            Contracts = contracts;
        }

        /// <summary>The field, property or method read.</summary>
        public ISymbol Member { get; }
        public AccessPath? Instance { get; }
        public ValueKey? InstanceKey { get; }
        public ContractProvider Contracts { get; }
    }

    /// <summary>A store into a field, property or element: what is stored where.</summary>
    internal sealed class MemberStore
    {
        public MemberStore(ISymbol? member, AccessPath? instance, ValueKey? instanceKey, IOperation value, ValueKey? valueKey, ContractProvider contracts)
        {
            Member = member;
            Instance = instance;
            InstanceKey = instanceKey;
            Value = value;
            ValueKey = valueKey;
            Contracts = contracts;
        }

        /// <summary>The field or property written (null for an array element or an unnamable target).</summary>
        public ISymbol? Member { get; }
        public AccessPath? Instance { get; }
        public ValueKey? InstanceKey { get; }
        public IOperation Value { get; }
        public ValueKey? ValueKey { get; }
        public ContractProvider Contracts { get; }
    }

    /// <summary>A domain with a typed value.</summary>
    internal abstract class Domain<T> : Domain
        where T : class
    {
        public abstract T EmptyValue { get; }

        public sealed override object Empty => EmptyValue;

        public sealed override object Join(object left, object right, MergeContext merge) => Join((T)left, (T)right, merge);

        public sealed override object LoopBackEdge(object entry, object backEdge, MergeContext merge) => LoopBackEdge((T)entry, (T)backEdge, merge);

        public sealed override bool ValueEquals(object left, object right) => ReferenceEquals(left, right) || Equal((T)left, (T)right);

        public sealed override int ValueHash(object value) => Hash((T)value);

        public sealed override object Forget(object value, ValueKey key) => Forget((T)value, key);

        public sealed override object Bind(object value, ValueKey from, ValueKey to, bool negate) => Bind((T)value, from, to, negate);

        public sealed override object DropOperationFacts(object value) => DropOperationFacts((T)value);

        public sealed override object? Assume(object value, FlowState state, ValueKey key, ValueTest test, bool truth) => Assume((T)value, state, key, test, truth);

        public abstract T Join(T left, T right, MergeContext merge);

        public abstract T LoopBackEdge(T entry, T backEdge, MergeContext merge);

        public abstract bool Equal(T left, T right);

        public virtual int Hash(T value) => 0;

        public virtual T Forget(T value, ValueKey key) => value;

        public virtual T Bind(T value, ValueKey from, ValueKey to, bool negate) => value;

        public virtual T DropOperationFacts(T value) => value;

        public virtual T? Assume(T value, FlowState state, ValueKey key, ValueTest test, bool truth) => value;

        public sealed override object? AssumeMember(object value, FlowState state, MemberRead read, ValueTest test, bool truth) => AssumeMember((T)value, state, read, test, truth);

        public sealed override object StoreMember(object value, FlowState state, MemberStore store) => StoreMember((T)value, state, store);

        public sealed override object Enter(object value, BodyContext body, ContractProvider contracts) => Enter((T)value, body, contracts);

        public virtual T? AssumeMember(T value, FlowState state, MemberRead read, ValueTest test, bool truth) => value;

        public virtual T StoreMember(T value, FlowState state, MemberStore store) => value;

        public virtual T Enter(T value, BodyContext body, ContractProvider contracts) => value;
    }

    /// <summary>
    /// The registered domains, in slot order. A rule family adds its domain here with one line; the engine and
    /// <see cref="FlowState"/> handle every registered domain alike.
    /// </summary>
    internal static class DomainRegistry
    {
        private static readonly List<Domain> Registered = new List<Domain>();

        public static readonly LockDomain Locks = Register(new LockDomain());
        public static readonly ValueDomain Values = Register(new ValueDomain());
        public static readonly ContextDomain Context = Register(new ContextDomain());
        public static readonly ObjectDomain Objects = Register(new ObjectDomain());

        public static ImmutableArray<Domain> All { get; } = Registered.ToImmutableArray();

        /// <summary>Some registered domain reports mismatches at forward merges.</summary>
        public static bool AnyReportsAtForwardMerges { get; } = Registered.Exists(d => d.ReportsAtForwardMerges);

        private static T Register<T>(T domain)
            where T : Domain
        {
            domain.Slot = Registered.Count;
            Registered.Add(domain);
            return domain;
        }
    }
}
