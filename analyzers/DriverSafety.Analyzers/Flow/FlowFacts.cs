using System;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// What a fact about a value is attached to: a local, a CFG flow capture, or (until it is stored) the operation
    /// that produced it. Facts conditional on a local ("held iff ret == 0") hang off these keys.
    /// </summary>
    internal readonly struct ValueKey : IEquatable<ValueKey>
    {
        private ValueKey(object identity) => Identity = identity;

        public object Identity { get; }

        public bool IsOperation => Identity is IOperation;

        public static ValueKey Local(ILocalSymbol local) => new ValueKey(local);
        public static ValueKey Capture(CaptureId id) => new ValueKey(id);
        public static ValueKey Operation(IOperation operation) => new ValueKey(operation);

        /// <summary>A key no value of a body uses (scratch space for flipping a value's facts in place).</summary>
        public static ValueKey Scratch { get; } = new ValueKey(new object());

        public bool Equals(ValueKey other) => Identity is ISymbol symbol
            ? SymbolEqualityComparer.Default.Equals(symbol, other.Identity as ISymbol)
            : Equals(Identity, other.Identity);

        public override bool Equals(object? obj) => obj is ValueKey other && Equals(other);

        public override int GetHashCode() => Identity is ISymbol symbol ? SymbolEqualityComparer.Default.GetHashCode(symbol) : Identity.GetHashCode();
    }

    /// <summary>How a lock came to be held in the analysed body.</summary>
    internal enum HoldOrigin
    {
        /// <summary>Acquired by a call in this body (it has an acquire site).</summary>
        Acquired,

        /// <summary>Held on entry: the body's own <c>[Requires]</c>/<c>[Releases]</c> contract, or the caller's state of a lambda that runs at once.</summary>
        Entry,

        /// <summary>Assumed held after an <c>[AssertsHeld]</c> call.</summary>
        Asserted,
    }

    /// <summary>Where a lock stopped being held on every path: the merge, and the incoming path that lacks it.</summary>
    internal sealed class PartialHold : IEquatable<PartialHold>
    {
        public PartialHold(SyntaxNode? merge, SyntaxNode? lackingPath, IOperation? release = null)
        {
            Merge = merge;
            LackingPath = lackingPath;
            Release = release;
        }

        /// <summary>On the side without the lock, the release that ended it (for a lock held by contract, which has no acquire in the body).</summary>
        public IOperation? Release { get; }

        /// <summary>The first statement of the block where the paths meet.</summary>
        public SyntaxNode? Merge { get; }

        /// <summary>The incoming path without the lock (its branch condition or last statement), where one path is known.</summary>
        public SyntaxNode? LackingPath { get; }

        public bool Equals(PartialHold? other) => other is not null && ReferenceEquals(Merge, other.Merge);
        public override bool Equals(object? obj) => obj is PartialHold other && Equals(other);
        public override int GetHashCode() => Merge?.GetHashCode() ?? 0;
    }

    /// <summary>A condition a hold depends on: it was taken by a try-lock whose result, stored at <see cref="Key"/>, equals <see cref="Success"/>.</summary>
    internal readonly struct HoldCondition : IEquatable<HoldCondition>
    {
        public HoldCondition(ValueKey key, ConditionValue success)
        {
            Key = key;
            Success = success;
        }

        public ValueKey Key { get; }
        public ConditionValue Success { get; }

        public bool Equals(HoldCondition other) => Key.Equals(other.Key) && Success.Equals(other.Success);
        public override bool Equals(object? obj) => obj is HoldCondition other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode() ^ Success.GetHashCode();
    }

    /// <summary>A lock held at a program point (or held on some incoming paths only), with its mode and where it was acquired.</summary>
    internal sealed class HeldLock : IEquatable<HeldLock>
    {
        public HeldLock(AccessPath lockPath, bool shared, HoldOrigin origin, IOperation? site, int lockKind, bool disabledIrqs, int depth = 1,
            PartialHold? partial = null, ImmutableArray<HoldCondition> conditions = default, bool resultDropped = false, bool reentrant = false, int subclass = 0)
        {
            Subclass = subclass;
            Lock = lockPath;
            Shared = shared;
            Origin = origin;
            Site = site;
            LockKind = lockKind;
            DisabledIrqs = disabledIrqs;
            Depth = depth;
            Partial = partial;
            Conditions = conditions.IsDefault ? ImmutableArray<HoldCondition>.Empty : conditions;
            ResultDropped = resultDropped;
            Reentrant = reentrant;
        }

        public AccessPath Lock { get; }
        public bool Shared { get; }
        public HoldOrigin Origin { get; }

        /// <summary>The acquiring call (null for entry holds).</summary>
        public IOperation? Site { get; }

        /// <summary>0 = sleeping, 1 = spinning (LockKind of the lock's type).</summary>
        public int LockKind { get; }

        /// <summary>The acquisition disabled IRQs (<c>spin_lock_irqsave</c>); the release re-enables them.</summary>
        public bool DisabledIrqs { get; }

        /// <summary>Re-entrance depth of a .NET monitor (<c>lock (x)</c> nested in <c>lock (x)</c> is legal C#); 1 for kernel locks.</summary>
        public int Depth { get; }

        /// <summary>Held on some incoming paths of a merge only: it counts as not held (Clang's intersection).</summary>
        public PartialHold? Partial { get; }

        /// <summary>Held on every path: it satisfies requirements.</summary>
        public bool IsHeld => Partial is null;

        /// <summary>The try-lock results this hold depends on (so a later merge with the failure side restores the pending try).</summary>
        public ImmutableArray<HoldCondition> Conditions { get; }

        /// <summary>Taken by a try-lock whose result was dropped (reported once at the try-lock).</summary>
        public bool ResultDropped { get; }

        /// <summary>A .NET monitor: re-entrant.</summary>
        public bool Reentrant { get; }

        /// <summary>The lockdep subclass it was acquired with (<c>[Acquires(Subclass = n)]</c>): part of its lock class.</summary>
        public int Subclass { get; }

        public HeldLock AsPartial(PartialHold partial) =>
            Partial is not null ? this : new HeldLock(Lock, Shared, Origin, Site, LockKind, DisabledIrqs, Depth, partial, ImmutableArray<HoldCondition>.Empty, ResultDropped, Reentrant, Subclass);

        public HeldLock WithDepth(int depth) => new HeldLock(Lock, Shared, Origin, Site, LockKind, DisabledIrqs, depth, Partial, Conditions, ResultDropped, Reentrant, Subclass);

        public HeldLock WithShared(bool shared) => shared == Shared ? this : new HeldLock(Lock, shared, Origin, Site, LockKind, DisabledIrqs, Depth, Partial, Conditions, ResultDropped, Reentrant, Subclass);

        public HeldLock WithConditions(ImmutableArray<HoldCondition> conditions) =>
            new HeldLock(Lock, Shared, Origin, Site, LockKind, DisabledIrqs, Depth, Partial, conditions, ResultDropped, Reentrant, Subclass);

        public HeldLock WithOrigin(HoldOrigin origin) => origin == Origin ? this : new HeldLock(Lock, Shared, origin, origin == HoldOrigin.Entry ? null : Site, LockKind, DisabledIrqs, Depth, Partial, Conditions, ResultDropped, Reentrant, Subclass);

        public bool Equals(HeldLock? other) =>
            other is not null && Lock.Equals(other.Lock) && Shared == other.Shared && Equals(Partial, other.Partial) &&
            Origin == other.Origin && ReferenceEquals(Site, other.Site) && DisabledIrqs == other.DisabledIrqs && Depth == other.Depth &&
            ResultDropped == other.ResultDropped && Domains.Sets.Equal(Conditions, other.Conditions);

        public override bool Equals(object? obj) => obj is HeldLock other && Equals(other);

        public override int GetHashCode() => Lock.GetHashCode() * 3 + (Shared ? 1 : 0) + (Partial is null ? 0 : 2);
    }

    /// <summary>A try-acquisition whose outcome is not decided yet: the locks are held where the value of <see cref="Key"/> equals the success value.</summary>
    internal sealed class PendingTry : IEquatable<PendingTry>
    {
        public PendingTry(ValueKey key, ImmutableArray<AccessPath> locks, bool shared, ConditionValue success, IOperation site, int lockKind, bool reentrant = false)
        {
            Key = key;
            Locks = locks;
            Shared = shared;
            Success = success;
            Site = site;
            LockKind = lockKind;
            Reentrant = reentrant;
        }

        public ValueKey Key { get; }
        public ImmutableArray<AccessPath> Locks { get; }
        public bool Shared { get; }
        public ConditionValue Success { get; }
        public IOperation Site { get; }
        public int LockKind { get; }
        public bool Reentrant { get; }

        public PendingTry WithKey(ValueKey key, bool negate)
        {
            return new PendingTry(key, Locks, Shared, negate ? Success.Negated() : Success, Site, LockKind, Reentrant);
        }

        public bool Equals(PendingTry? other) => other is not null && Key.Equals(other.Key) && ReferenceEquals(Site, other.Site) && Success.Equals(other.Success);
        public override bool Equals(object? obj) => obj is PendingTry other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode() ^ Site.GetHashCode();
    }

    /// <summary>A <c>[LockGuard]</c> value (or an object whose constructor acquired): disposing the value at <see cref="Key"/> releases <see cref="Locks"/>.</summary>
    internal sealed class GuardBinding : IEquatable<GuardBinding>
    {
        public GuardBinding(ValueKey key, ImmutableArray<AccessPath> locks)
        {
            Key = key;
            Locks = locks;
        }

        public ValueKey Key { get; }
        public ImmutableArray<AccessPath> Locks { get; }

        public GuardBinding WithKey(ValueKey key) => new GuardBinding(key, Locks);

        public bool Equals(GuardBinding? other) => other is not null && Key.Equals(other.Key) && Domains.Sets.Equal(Locks, other.Locks);
        public override bool Equals(object? obj) => obj is GuardBinding other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode();
    }
}
