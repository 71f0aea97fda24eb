using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>
    /// The lock family's facts at a program point: the locks held (or held on some paths only), try-locks whose
    /// outcome hangs on a stored result (pending, or known to have failed), guard values that release on disposal,
    /// and the last release of each lock (so a difference at a merge can name the release that made it).
    /// </summary>
    internal sealed class LockSet
    {
        public static LockSet Empty { get; } = new LockSet(
            ImmutableArray<HeldLock>.Empty, ImmutableArray<PendingTry>.Empty, ImmutableArray<PendingTry>.Empty,
            ImmutableArray<GuardBinding>.Empty, ImmutableArray<ReleaseSite>.Empty);

        public LockSet(ImmutableArray<HeldLock> held, ImmutableArray<PendingTry> pending, ImmutableArray<PendingTry> failed, ImmutableArray<GuardBinding> guards, ImmutableArray<ReleaseSite> releases)
        {
            Held = held;
            Pending = pending;
            Failed = failed;
            Guards = guards;
            Releases = releases;
        }

        public ImmutableArray<HeldLock> Held { get; }
        public ImmutableArray<PendingTry> Pending { get; }

        /// <summary>Try-locks known to have failed on this path, keyed by their stored result.</summary>
        public ImmutableArray<PendingTry> Failed { get; }
        public ImmutableArray<GuardBinding> Guards { get; }
        public ImmutableArray<ReleaseSite> Releases { get; }

        /// <summary>Some lock is held on every path here (asked at every call: no allocation).</summary>
        public bool AnyHeld
        {
            get
            {
                foreach (var held in Held)
                {
                    if (held.IsHeld)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        public HeldLock? Find(AccessPath lockPath)
        {
            foreach (var held in Held)
            {
                if (held.Lock.Equals(lockPath))
                {
                    return held;
                }
            }

            return null;
        }

        public LockSet With(
            ImmutableArray<HeldLock>? held = null,
            ImmutableArray<PendingTry>? pending = null,
            ImmutableArray<PendingTry>? failed = null,
            ImmutableArray<GuardBinding>? guards = null,
            ImmutableArray<ReleaseSite>? releases = null) =>
            new LockSet(held ?? Held, pending ?? Pending, failed ?? Failed, guards ?? Guards, releases ?? Releases);

        public LockSet Add(HeldLock held) => With(held: Held.RemoveAll(l => l.Lock.Equals(held.Lock)).Add(held));

        public LockSet Remove(AccessPath lockPath, IOperation? releaseSite)
        {
            var releases = releaseSite is null ? Releases : Releases.RemoveAll(r => r.Lock.Equals(lockPath)).Add(new ReleaseSite(lockPath, releaseSite));
            return With(held: Held.RemoveAll(l => l.Lock.Equals(lockPath)), releases: releases);
        }

        public IOperation? LastRelease(AccessPath lockPath) => Releases.FirstOrDefault(r => r.Lock.Equals(lockPath))?.Site;
    }

    /// <summary>The last release of a lock on this path.</summary>
    internal sealed class ReleaseSite : System.IEquatable<ReleaseSite>
    {
        public ReleaseSite(AccessPath lockPath, IOperation site)
        {
            Lock = lockPath;
            Site = site;
        }

        public AccessPath Lock { get; }
        public IOperation Site { get; }

        public bool Equals(ReleaseSite? other) => other is not null && Lock.Equals(other.Lock) && ReferenceEquals(Site, other.Site);
        public override bool Equals(object? obj) => obj is ReleaseSite other && Equals(other);
        public override int GetHashCode() => Lock.GetHashCode();
    }

    /// <summary>A lock whose hold differs between the two sides of a loop head (reported once, by the lock rules).</summary>
    internal sealed class LockMismatch
    {
        public LockMismatch(MergeKind kind, HeldLock held, bool heldOnBackEdge, IOperation? releaseSite, SyntaxNode? mergePoint, SyntaxNode? lackingPath)
        {
            Kind = kind;
            Held = held;
            HeldOnBackEdge = heldOnBackEdge;
            ReleaseSite = releaseSite;
            MergePoint = mergePoint;
            LackingPath = lackingPath;
        }

        public MergeKind Kind { get; }

        /// <summary>The hold on the side that has the lock.</summary>
        public HeldLock Held { get; }
        public bool HeldOnBackEdge { get; }

        /// <summary>On the side without the lock, the release that ended it there (if any).</summary>
        public IOperation? ReleaseSite { get; }
        public SyntaxNode? MergePoint { get; }
        public SyntaxNode? LackingPath { get; }
    }

    /// <summary>
    /// The lock domain (SPEC §7.1–7.2). At a forward merge a lock held on some incoming paths only becomes a partial
    /// hold: it counts as not held afterwards, and the lock rules decide later whether it was a leak (it reaches an exit
    /// untouched: DRV1003) or a path mismatch (something touches it: DRV1009). A try-lock's success side meeting its
    /// failure side restores the pending try. At a loop head the back edge is compared with the entry state, each
    /// difference reported once, and the entry state is what the loop keeps.
    /// </summary>
    internal sealed class LockDomain : Domain<LockSet>
    {
        public override LockSet EmptyValue => LockSet.Empty;

        public override LockSet Join(LockSet left, LockSet right, MergeContext merge)
        {
            if (Equal(left, right))
            {
                return left;
            }

            var held = ImmutableArray.CreateBuilder<HeldLock>();
            var pending = new List<PendingTry>();
            foreach (var a in left.Held)
            {
                var b = right.Find(a.Lock);
                if (b is not null)
                {
                    held.Add(Both(a, b));
                    continue;
                }

                if (Restore(a, merge.Right, right) is { } restoredLeft)
                {
                    pending.Add(restoredLeft);
                    continue;
                }

                held.Add(a.AsPartial(new PartialHold(merge.MergePoint, merge.RightEdge, right.LastRelease(a.Lock))));
            }

            foreach (var b in right.Held)
            {
                if (left.Find(b.Lock) is not null)
                {
                    continue;
                }

                if (Restore(b, merge.Left, left) is { } restoredRight)
                {
                    pending.Add(restoredRight);
                    continue;
                }

                held.Add(b.AsPartial(new PartialHold(merge.MergePoint, merge.LeftEdge, left.LastRelease(b.Lock))));
            }

            foreach (var p in left.Pending)
            {
                if (right.Pending.Contains(p) || Agrees(merge.Right, right, p))
                {
                    Add(pending, p);
                }
            }

            foreach (var p in right.Pending)
            {
                if (!left.Pending.Contains(p) && Agrees(merge.Left, left, p))
                {
                    Add(pending, p);
                }
            }

            var result = new LockSet(
                held.ToImmutable(),
                pending.ToImmutableArray(),
                left.Failed.Where(right.Failed.Contains).ToImmutableArray(),
                left.Guards.Where(right.Guards.Contains).ToImmutableArray(),
                left.Releases.Concat(right.Releases.Where(r => !left.Releases.Any(l => l.Lock.Equals(r.Lock)))).ToImmutableArray());
            return Equal(result, left) ? left : result;
        }

        public override LockSet LoopBackEdge(LockSet entry, LockSet backEdge, MergeContext merge)
        {
            if (merge.Mismatches is null || ReferenceEquals(entry, backEdge))
            {
                return entry;
            }

            foreach (var a in entry.Held.Where(h => h.IsHeld))
            {
                if (backEdge.Find(a.Lock) is not { IsHeld: true })
                {
                    merge.Report(new LockMismatch(MergeKind.LoopBackEdge, a, false, backEdge.LastRelease(a.Lock), merge.MergePoint, merge.RightEdge));
                }
            }

            foreach (var b in backEdge.Held.Where(h => h.IsHeld))
            {
                if (entry.Find(b.Lock) is not { IsHeld: true })
                {
                    merge.Report(new LockMismatch(MergeKind.LoopBackEdge, b, true, entry.LastRelease(b.Lock), merge.MergePoint, merge.RightEdge));
                }
            }

            return entry;
        }

        public override bool Equal(LockSet left, LockSet right) =>
            ReferenceEquals(left, right) ||
            (Sets.Equal(left.Held, right.Held) && Sets.Equal(left.Pending, right.Pending) && Sets.Equal(left.Failed, right.Failed) &&
             Sets.Equal(left.Guards, right.Guards) && Sets.Equal(left.Releases, right.Releases));

        public override int Hash(LockSet value)
        {
            var hash = value.Pending.Length * 7 + value.Guards.Length * 13 + value.Failed.Length * 17;
            foreach (var held in value.Held)
            {
                hash ^= held.GetHashCode();
            }

            return hash;
        }

        public override LockSet Forget(LockSet value, ValueKey key) => HasFacts(value, key) ? Without(value, k => k.Equals(key)) : value;

        public override LockSet Bind(LockSet value, ValueKey from, ValueKey to, bool negate)
        {
            value = Forget(value, to);
            return HasFacts(value, from) ? BindFacts(value, from, to, negate) : value;
        }

        private static LockSet BindFacts(LockSet value, ValueKey from, ValueKey to, bool negate)
        {
            return value.With(
                held: value.Held.Select(h => h.Conditions.FirstOrDefault(c => c.Key.Equals(from)) is { Key.Identity: not null } c
                    ? h.WithConditions(h.Conditions.Add(new HoldCondition(to, negate ? c.Success.Negated() : c.Success))) : h).ToImmutableArray(),
                pending: value.Pending.AddRange(value.Pending.Where(p => p.Key.Equals(from)).Select(p => p.WithKey(to, negate))),
                failed: value.Failed.AddRange(value.Failed.Where(p => p.Key.Equals(from)).Select(p => p.WithKey(to, negate))),
                guards: negate ? value.Guards : value.Guards.AddRange(value.Guards.Where(g => g.Key.Equals(from)).Select(g => g.WithKey(to))));
        }

        public override LockSet DropOperationFacts(LockSet value) => Without(value, k => k.IsOperation);

        /// <summary>Decides the try-locks pending on <paramref name="key"/>: held where the outcome pins success, failed where it rules it out.</summary>
        public override LockSet? Assume(LockSet value, FlowState state, ValueKey key, ValueTest test, bool truth) =>
            HasFacts(value, key) ? AssumeFacts(value, key, test, truth) : value;

        private static LockSet? AssumeFacts(LockSet value, ValueKey key, ValueTest test, bool truth)
        {
            foreach (var pending in value.Pending.Where(p => p.Key.Equals(key)).ToArray())
            {
                var successPossible = test.Holds(pending.Success) != !truth;
                if (!successPossible)
                {
                    value = value.With(pending: value.Pending.Remove(pending), failed: value.Failed.Add(pending));
                    continue;
                }

                if (test.Pins(pending.Success, truth))
                {
                    value = value.With(pending: value.Pending.Remove(pending));
                    foreach (var lockPath in pending.Locks)
                    {
                        var existing = value.Find(lockPath);
                        if (existing is { IsHeld: true })
                        {
                            continue;
                        }

                        value = value.Add(new HeldLock(lockPath, pending.Shared, HoldOrigin.Acquired, pending.Site, pending.LockKind, false,
                            conditions: ImmutableArray.Create(new HoldCondition(key, pending.Success)), reentrant: pending.Reentrant));
                    }
                }
            }

            // A hold that depends on this result is impossible where the result rules its success out.
            foreach (var held in value.Held.Where(h => h.Conditions.Any(c => c.Key.Equals(key))).ToArray())
            {
                var condition = held.Conditions.First(c => c.Key.Equals(key));
                if (test.Holds(condition.Success) == !truth)
                {
                    return null;
                }
            }

            foreach (var failed in value.Failed.Where(f => f.Key.Equals(key)))
            {
                if (test.Pins(failed.Success, truth))
                {
                    return null;
                }
            }

            return value;
        }

        /// <summary>Whether any fact hangs off <paramref name="key"/> (no allocation: asked at every store and branch).</summary>
        private static bool HasFacts(LockSet value, ValueKey key)
        {
            if (Keyed.Any(value.Pending, p => p.Key, key) || Keyed.Any(value.Failed, p => p.Key, key) || Keyed.Any(value.Guards, g => g.Key, key))
            {
                return true;
            }

            foreach (var held in value.Held)
            {
                if (Keyed.Any(held.Conditions, c => c.Key, key))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HasFacts(LockSet value, System.Func<ValueKey, bool> keyed)
        {
            if (value.Pending.IsEmpty && value.Failed.IsEmpty && value.Guards.IsEmpty)
            {
                var anyCondition = false;
                foreach (var held in value.Held)
                {
                    anyCondition |= !held.Conditions.IsEmpty;
                }

                if (!anyCondition)
                {
                    return false;
                }
            }

            return value.Pending.Any(p => keyed(p.Key)) || value.Failed.Any(p => keyed(p.Key)) || value.Guards.Any(g => keyed(g.Key)) ||
                value.Held.Any(h => h.Conditions.Any(c => keyed(c.Key)));
        }

        /// <summary>The lock set without the facts hung off the keys <paramref name="keyed"/> picks (a hold keeps its lock, losing only the condition).</summary>
        private static LockSet Without(LockSet value, System.Func<ValueKey, bool> keyed)
        {
            if (!HasFacts(value, keyed))
            {
                return value;
            }

            return value.With(
                held: value.Held.Select(h => h.Conditions.Any(c => keyed(c.Key)) ? h.WithConditions(h.Conditions.RemoveAll(c => keyed(c.Key))) : h).ToImmutableArray(),
                pending: value.Pending.RemoveAll(p => keyed(p.Key)),
                failed: value.Failed.RemoveAll(p => keyed(p.Key)),
                guards: value.Guards.RemoveAll(g => keyed(g.Key)));
        }

        private static HeldLock Both(HeldLock a, HeldLock b)
        {
            if (a.Equals(b))
            {
                return a;
            }

            if (!a.IsHeld)
            {
                return a;
            }

            if (!b.IsHeld)
            {
                return b;
            }

            var first = Earlier(a, b);
            var conditions = a.Conditions.Where(b.Conditions.Contains).ToImmutableArray();
            var merged = new HeldLock(first.Lock, a.Shared || b.Shared, first.Origin, first.Site, first.LockKind, a.DisabledIrqs && b.DisabledIrqs,
                System.Math.Max(a.Depth, b.Depth), null, conditions, a.ResultDropped || b.ResultDropped, a.Reentrant || b.Reentrant, first.Subclass);
            return merged.Equals(a) ? a : merged;
        }

        /// <summary>
        /// The success side of a stored try-lock result meeting its failure side: the pending try comes back, keyed on
        /// the stored result (<c>bool ok = mu.TryLock(); if (ok) { … } … if (ok) mu.Unlock();</c>).
        /// </summary>
        private static PendingTry? Restore(HeldLock held, FlowState otherState, LockSet other)
        {
            if (!held.IsHeld || held.Site is null)
            {
                return null;
            }

            foreach (var condition in held.Conditions)
            {
                var failedThere = other.Failed.FirstOrDefault(f => f.Key.Equals(condition.Key) && ReferenceEquals(f.Site, held.Site));
                var knownThere = otherState.Values.Of(condition.Key);
                if (failedThere is not null || (knownThere is { } known && !known.Equals(condition.Success)))
                {
                    return new PendingTry(condition.Key, ImmutableArray.Create(held.Lock), held.Shared, condition.Success, held.Site, held.LockKind, held.Reentrant);
                }
            }

            return null;
        }

        /// <summary>
        /// A pending try-acquisition survives a merge where the other side agrees with it: it knows the value is not the
        /// success value and holds none of the locks (<c>ok = cond &amp;&amp; m.TryLock()</c> merges a failed try with <c>ok = false</c>).
        /// </summary>
        private static bool Agrees(FlowState otherState, LockSet other, PendingTry pending) =>
            (other.Failed.Any(f => f.Key.Equals(pending.Key) && ReferenceEquals(f.Site, pending.Site)) ||
             (otherState.Values.Of(pending.Key) is { } known && !known.Equals(pending.Success))) &&
            pending.Locks.All(l => other.Find(l) is not { IsHeld: true });

        private static void Add(List<PendingTry> pending, PendingTry p)
        {
            if (!pending.Contains(p))
            {
                pending.Add(p);
            }
        }

        private static HeldLock Earlier(HeldLock left, HeldLock right)
        {
            if (left.Site is null || right.Site is null || ReferenceEquals(left.Site, right.Site))
            {
                return left.Site is null ? right : left;
            }

            return left.Site.Syntax.SpanStart <= right.Site.Syntax.SpanStart ? left : right;
        }
    }
}
