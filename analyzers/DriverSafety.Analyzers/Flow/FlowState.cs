using System;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>The open/closed status of a resource or object state on a target.</summary>
    internal enum Presence
    {
        No,
        Yes,
        Maybe,
    }

    /// <summary>A resource or state of an object (<c>gem.Sgt</c> has "dma-mapping"), with the call that began it.</summary>
    internal sealed class ObjectFact : IEquatable<ObjectFact>
    {
        public ObjectFact(AccessPath target, string state, Presence presence, IOperation? site)
        {
            Target = target;
            State = state;
            Presence = presence;
            Site = site;
        }

        public AccessPath Target { get; }
        public string State { get; }
        public Presence Presence { get; }
        public IOperation? Site { get; }

        public bool SameSubject(ObjectFact other) => Target.Equals(other.Target) && State == other.State;

        public bool Equals(ObjectFact? other) => other is not null && SameSubject(other) && Presence == other.Presence && ReferenceEquals(Site, other.Site);
        public override bool Equals(object? obj) => obj is ObjectFact other && Equals(other);
        public override int GetHashCode() => Target.GetHashCode() ^ State.GetHashCode();
    }

    /// <summary>
    /// The abstract state at a program point: one immutable value holding every fact family of SPEC section 6 —
    /// held locks (mode, acquire site), atomic and IRQ depth, allocation-flag masks, object states and resources,
    /// and facts conditional on a value (try-locks pending on a result, guards, known constants).
    /// </summary>
    internal sealed class FlowState : IEquatable<FlowState>
    {
        public static FlowState Empty { get; } = new FlowState(
            ImmutableArray<HeldLock>.Empty, ImmutableArray<PendingTry>.Empty, ImmutableArray<GuardBinding>.Empty,
            ImmutableArray<KnownValue>.Empty, 0, 0, ImmutableArray<string>.Empty, ImmutableArray<ObjectFact>.Empty);

        private FlowState(
            ImmutableArray<HeldLock> locks,
            ImmutableArray<PendingTry> pending,
            ImmutableArray<GuardBinding> guards,
            ImmutableArray<KnownValue> known,
            int atomicDepth,
            int irqDepth,
            ImmutableArray<string> allocationMasks,
            ImmutableArray<ObjectFact> objects)
        {
            Locks = locks;
            Pending = pending;
            Guards = guards;
            Known = known;
            AtomicDepth = atomicDepth;
            IrqDepth = irqDepth;
            AllocationMasks = allocationMasks;
            Objects = objects;
        }

        public ImmutableArray<HeldLock> Locks { get; }
        public ImmutableArray<PendingTry> Pending { get; }
        public ImmutableArray<GuardBinding> Guards { get; }
        public ImmutableArray<KnownValue> Known { get; }

        /// <summary>Nesting of atomic sections (preempt_disable, rcu_read_lock) entered in this body.</summary>
        public int AtomicDepth { get; }

        /// <summary>Nesting of IRQ-off sections (local_irq_save, spin_lock_irqsave) entered in this body.</summary>
        public int IrqDepth { get; }

        /// <summary>The stack of allocation-flag masks in force (memalloc_nofs_save scopes), innermost last.</summary>
        public ImmutableArray<string> AllocationMasks { get; }

        public ImmutableArray<ObjectFact> Objects { get; }

        public HeldLock? Find(AccessPath lockPath)
        {
            foreach (var held in Locks)
            {
                if (held.Lock.Equals(lockPath))
                {
                    return held;
                }
            }

            return null;
        }

        public FlowState With(
            ImmutableArray<HeldLock>? locks = null,
            ImmutableArray<PendingTry>? pending = null,
            ImmutableArray<GuardBinding>? guards = null,
            ImmutableArray<KnownValue>? known = null,
            int? atomicDepth = null,
            int? irqDepth = null,
            ImmutableArray<string>? allocationMasks = null,
            ImmutableArray<ObjectFact>? objects = null) =>
            new FlowState(
                locks ?? Locks, pending ?? Pending, guards ?? Guards, known ?? Known,
                atomicDepth ?? AtomicDepth, irqDepth ?? IrqDepth, allocationMasks ?? AllocationMasks, objects ?? Objects);

        public FlowState AddLock(HeldLock held) => With(locks: Locks.RemoveAll(l => l.Lock.Equals(held.Lock)).Add(held));

        public FlowState RemoveLock(AccessPath lockPath) => With(locks: Locks.RemoveAll(l => l.Lock.Equals(lockPath)));

        /// <summary>The value at <paramref name="key"/> is known to be <paramref name="value"/> from here on.</summary>
        public FlowState WithKnown(ValueKey key, ConditionValue value) =>
            With(known: Known.RemoveAll(k => k.Key.Equals(key)).Add(new KnownValue(key, value)));

        /// <summary>Forgets every conditional fact attached to <paramref name="key"/> (the local was reassigned).</summary>
        public FlowState Forget(ValueKey key)
        {
            if (!Pending.Any(p => p.Key.Equals(key)) && !Guards.Any(g => g.Key.Equals(key)) && !Known.Any(k => k.Key.Equals(key)))
            {
                return this;
            }

            return With(
                pending: Pending.RemoveAll(p => p.Key.Equals(key)),
                guards: Guards.RemoveAll(g => g.Key.Equals(key)),
                known: Known.RemoveAll(k => k.Key.Equals(key)));
        }

        /// <summary>Copies the facts attached to <paramref name="from"/> onto <paramref name="to"/> (a value stored in a local or captured).</summary>
        public FlowState Bind(ValueKey from, ValueKey to)
        {
            var state = Forget(to);
            var pending = state.Pending.AddRange(state.Pending.Where(p => p.Key.Equals(from)).Select(p => p.WithKey(to)));
            var guards = state.Guards.AddRange(state.Guards.Where(g => g.Key.Equals(from)).Select(g => g.WithKey(to)));
            var known = state.Known.AddRange(state.Known.Where(k => k.Key.Equals(from)).Select(k => new KnownValue(to, k.Value)));
            return state.With(pending: pending, guards: guards, known: known);
        }

        /// <summary>Drops the facts attached to operations once a block is done: only stored values outlive their block.</summary>
        public FlowState DropOperationFacts()
        {
            if (!Pending.Any(p => p.Key.IsOperation) && !Guards.Any(g => g.Key.IsOperation) && !Known.Any(k => k.Key.IsOperation))
            {
                return this;
            }

            return With(
                pending: Pending.RemoveAll(p => p.Key.IsOperation),
                guards: Guards.RemoveAll(g => g.Key.IsOperation),
                known: Known.RemoveAll(k => k.Key.IsOperation));
        }

        /// <summary>
        /// The state at a merge point. A lock held on one side only becomes "maybe held" and is reported once through
        /// <paramref name="onSomePathsOnly"/>; conditional facts survive only where both sides agree.
        /// </summary>
        public static FlowState Join(FlowState a, FlowState b, Action<HeldLock>? onSomePathsOnly)
        {
            if (ReferenceEquals(a, b))
            {
                return a;
            }

            var locks = ImmutableArray.CreateBuilder<HeldLock>();
            foreach (var left in a.Locks)
            {
                var right = b.Find(left.Lock);
                if (right is null)
                {
                    if (!left.Maybe)
                    {
                        onSomePathsOnly?.Invoke(left);
                    }

                    locks.Add(left.AsMaybe());
                    continue;
                }

                var first = Earlier(left, right);
                var merged = new HeldLock(first.Lock, left.Shared || right.Shared, left.Maybe || right.Maybe, first.Origin, first.Site, first.LockKind, left.DisabledIrqs && right.DisabledIrqs, System.Math.Max(left.Depth, right.Depth));
                locks.Add(merged.Equals(left) ? left : merged);
            }

            foreach (var right in b.Locks)
            {
                if (a.Find(right.Lock) is null)
                {
                    if (!right.Maybe)
                    {
                        onSomePathsOnly?.Invoke(right);
                    }

                    locks.Add(right.AsMaybe());
                }
            }

            var objects = ImmutableArray.CreateBuilder<ObjectFact>();
            foreach (var left in a.Objects)
            {
                var right = b.Objects.FirstOrDefault(o => o.SameSubject(left));
                var presence = right is null ? (left.Presence == Presence.No ? Presence.No : Presence.Maybe)
                    : right.Presence == left.Presence ? left.Presence : Presence.Maybe;
                objects.Add(presence == left.Presence ? left : new ObjectFact(left.Target, left.State, presence, left.Site ?? right?.Site));
            }

            foreach (var right in b.Objects)
            {
                if (!a.Objects.Any(o => o.SameSubject(right)))
                {
                    objects.Add(right.Presence == Presence.No ? right : new ObjectFact(right.Target, right.State, Presence.Maybe, right.Site));
                }
            }

            return new FlowState(
                locks.ToImmutable(),
                JoinPending(a, b),
                a.Guards.Where(b.Guards.Contains).ToImmutableArray(),
                a.Known.Where(b.Known.Contains).ToImmutableArray(),
                Math.Max(a.AtomicDepth, b.AtomicDepth),
                Math.Max(a.IrqDepth, b.IrqDepth),
                a.AllocationMasks.Length >= b.AllocationMasks.Length ? a.AllocationMasks : b.AllocationMasks,
                objects.ToImmutable());
        }

        /// <summary>
        /// A pending try-acquisition survives a merge where the other side agrees with it: it has the same pending
        /// fact, or it knows the value is not the success value and holds none of the locks
        /// (<c>ok = cond &amp;&amp; m.TryLock()</c> merges a failed try with <c>ok = false</c>).
        /// </summary>
        private static ImmutableArray<PendingTry> JoinPending(FlowState a, FlowState b)
        {
            if (a.Pending.IsEmpty && b.Pending.IsEmpty)
            {
                return ImmutableArray<PendingTry>.Empty;
            }

            var result = ImmutableArray.CreateBuilder<PendingTry>();
            foreach (var pending in a.Pending)
            {
                if (b.Pending.Contains(pending) || Agrees(b, pending))
                {
                    result.Add(pending);
                }
            }

            foreach (var pending in b.Pending)
            {
                if (!a.Pending.Contains(pending) && Agrees(a, pending))
                {
                    result.Add(pending);
                }
            }

            return result.ToImmutable();
        }

        private static bool Agrees(FlowState other, PendingTry pending) =>
            other.Known.Any(k => k.Key.Equals(pending.Key) && !k.Value.Equals(pending.Success)) &&
            pending.Locks.All(l => other.Find(l) is null);

        private static HeldLock Earlier(HeldLock left, HeldLock right)
        {
            if (left.Site is null || right.Site is null || ReferenceEquals(left.Site, right.Site))
            {
                return left.Site is null ? right : left;
            }

            return left.Site.Syntax.SpanStart <= right.Site.Syntax.SpanStart ? left : right;
        }

        public bool Equals(FlowState? other)
        {
            if (other is null)
            {
                return false;
            }

            if (ReferenceEquals(this, other))
            {
                return true;
            }

            return AtomicDepth == other.AtomicDepth && IrqDepth == other.IrqDepth &&
                SetEquals(Locks, other.Locks) && SetEquals(Pending, other.Pending) && SetEquals(Guards, other.Guards) &&
                SetEquals(Known, other.Known) && AllocationMasks.SequenceEqual(other.AllocationMasks) && SetEquals(Objects, other.Objects);
        }

        public override bool Equals(object? obj) => obj is FlowState other && Equals(other);

        public override int GetHashCode()
        {
            var hash = AtomicDepth * 31 + IrqDepth;
            foreach (var held in Locks)
            {
                hash ^= held.GetHashCode();
            }

            return hash ^ Pending.Length * 7 ^ Guards.Length * 13 ^ Known.Length * 17 ^ Objects.Length * 19;
        }

        private static bool SetEquals<T>(ImmutableArray<T> a, ImmutableArray<T> b)
            where T : IEquatable<T>
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            foreach (var item in a)
            {
                var found = false;
                foreach (var other in b)
                {
                    if (item.Equals(other))
                    {
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
