using System;
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

        /// <summary>Held on entry because of the body's own <c>[Requires]</c> or <c>[Releases]</c> contract.</summary>
        Entry,

        /// <summary>Assumed held after an <c>[AssertsHeld]</c> call.</summary>
        Asserted,
    }

    /// <summary>A lock held at a program point, with its mode and where it was acquired.</summary>
    internal sealed class HeldLock : IEquatable<HeldLock>
    {
        public HeldLock(AccessPath lockPath, bool shared, bool maybe, HoldOrigin origin, IOperation? site, int lockKind, bool disabledIrqs, int depth = 1)
        {
            Depth = depth;
            Lock = lockPath;
            Shared = shared;
            Maybe = maybe;
            Origin = origin;
            Site = site;
            LockKind = lockKind;
            DisabledIrqs = disabledIrqs;
        }

        public AccessPath Lock { get; }
        public bool Shared { get; }

        /// <summary>Held on some incoming paths only (DRV1009 was raised for it); it satisfies no requirement and is not reported again.</summary>
        public bool Maybe { get; }
        public HoldOrigin Origin { get; }

        /// <summary>The acquiring call (null for entry and asserted holds).</summary>
        public IOperation? Site { get; }

        /// <summary>0 = sleeping, 1 = spinning (LockKind of the lock's type).</summary>
        public int LockKind { get; }

        /// <summary>The acquisition disabled IRQs (<c>spin_lock_irqsave</c>); the release re-enables them.</summary>
        public bool DisabledIrqs { get; }

        /// <summary>Re-entrance depth of a .NET monitor (<c>lock (x)</c> nested in <c>lock (x)</c> is legal C#); 1 for kernel locks.</summary>
        public int Depth { get; }

        public HeldLock AsMaybe() => Maybe ? this : new HeldLock(Lock, Shared, true, Origin, Site, LockKind, DisabledIrqs, Depth);

        public HeldLock WithDepth(int depth) => new HeldLock(Lock, Shared, Maybe, Origin, Site, LockKind, DisabledIrqs, depth);

        public HeldLock WithShared(bool shared) => shared == Shared ? this : new HeldLock(Lock, shared, Maybe, Origin, Site, LockKind, DisabledIrqs, Depth);

        public bool Equals(HeldLock? other) =>
            other is not null && Lock.Equals(other.Lock) && Shared == other.Shared && Maybe == other.Maybe &&
            Origin == other.Origin && ReferenceEquals(Site, other.Site) && DisabledIrqs == other.DisabledIrqs && Depth == other.Depth;

        public override bool Equals(object? obj) => obj is HeldLock other && Equals(other);

        public override int GetHashCode() => Lock.GetHashCode() * 3 + (Shared ? 1 : 0) + (Maybe ? 2 : 0);
    }

    /// <summary>A try-acquisition whose outcome is not decided yet: the locks are held where the value of <see cref="Key"/> equals the success value.</summary>
    internal sealed class PendingTry : IEquatable<PendingTry>
    {
        public PendingTry(ValueKey key, System.Collections.Immutable.ImmutableArray<AccessPath> locks, bool shared, ConditionValue success, IOperation site, int lockKind)
        {
            Key = key;
            Locks = locks;
            Shared = shared;
            Success = success;
            Site = site;
            LockKind = lockKind;
        }

        public ValueKey Key { get; }
        public System.Collections.Immutable.ImmutableArray<AccessPath> Locks { get; }
        public bool Shared { get; }
        public ConditionValue Success { get; }
        public IOperation Site { get; }
        public int LockKind { get; }

        public PendingTry WithKey(ValueKey key) => new PendingTry(key, Locks, Shared, Success, Site, LockKind);

        public bool Equals(PendingTry? other) => other is not null && Key.Equals(other.Key) && ReferenceEquals(Site, other.Site);
        public override bool Equals(object? obj) => obj is PendingTry other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode() ^ Site.GetHashCode();
    }

    /// <summary>A <c>[LockGuard]</c> value: disposing the value at <see cref="Key"/> releases <see cref="Locks"/>.</summary>
    internal sealed class GuardBinding : IEquatable<GuardBinding>
    {
        public GuardBinding(ValueKey key, System.Collections.Immutable.ImmutableArray<AccessPath> locks)
        {
            Key = key;
            Locks = locks;
        }

        public ValueKey Key { get; }
        public System.Collections.Immutable.ImmutableArray<AccessPath> Locks { get; }

        public GuardBinding WithKey(ValueKey key) => new GuardBinding(key, Locks);

        public bool Equals(GuardBinding? other) => other is not null && Key.Equals(other.Key) && Locks.Length == other.Locks.Length;
        public override bool Equals(object? obj) => obj is GuardBinding other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode();
    }

    /// <summary>A value known at this point (a local assigned a constant, the lock statement's <c>lockTaken</c>).</summary>
    internal sealed class KnownValue : IEquatable<KnownValue>
    {
        public KnownValue(ValueKey key, ConditionValue value)
        {
            Key = key;
            Value = value;
        }

        public ValueKey Key { get; }
        public ConditionValue Value { get; }

        public bool Equals(KnownValue? other) => other is not null && Key.Equals(other.Key) && Value.Equals(other.Value);
        public override bool Equals(object? obj) => obj is KnownValue other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode() ^ Value.GetHashCode();
    }
}
