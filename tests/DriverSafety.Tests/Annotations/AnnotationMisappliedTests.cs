using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9002: an annotation that resolves but cannot mean anything: a lock expression naming a non-lock value or
/// going through a method call, a null lock list, a try-acquire on a method of the wrong return type.
/// </summary>
public sealed class AnnotationMisappliedTests
{
    [Fact]
    public Task GuardedByAnInt() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public int Count;
            [[|GuardedBy("Count")|]] public int State;
        }
        """, "DRV9002", messageContains: "Count");

    [Fact]
    public Task RequiresAnIntOfAParameter() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public int Size;
            [[|Requires("obj.Size")|]] public static void Vmap(Gem obj) { }
        }
        """, "DRV9002");

    [Fact]
    public Task PathThroughAMethodCall() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public DmaResv GetLock() => Resv;
            [[|GuardedBy("GetLock()")|]] public int Pages;
        }
        """, "DRV9002");

    [Fact]
    public Task PathThroughAMethodCallInTheMiddle() => Verifier.VerifyAsync("""
        public sealed class Holder
        {
            public Gem X = new Gem();
        }

        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public Holder GetResv() => new Holder();
        }

        public sealed class Vma
        {
            public Gem Obj = new Gem();
            [[|Requires("Obj.GetResv().X")|]] public void Fault() { }
        }
        """, "DRV9002");

    [Fact]
    public Task NullLockArray() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            [[|Requires(null)|]] public void Flush() { }
        }
        """, "DRV9002");

    [Fact]
    public Task BoolTryAcquireOnAnIntMethod() => Verifier.VerifyAsync("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [[|TryAcquires(true)|]] public int TryLock() => 0;
            [Releases] public void Unlock() { }
        }
        """, "DRV9002");

    [Fact]
    public Task IntTryAcquireOnABoolMethod() => Verifier.VerifyAsync("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [[|TryAcquires(0)|]] public bool TryLock() => true;
            [Releases] public void Unlock() { }
        }
        """, "DRV9002");

    [Fact]
    public Task TryAcquireOnAVoidMethod() => Verifier.VerifyAsync("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [[|TryAcquires(true)|]] public void TryLock() { }
            [Releases] public void Unlock() { }
        }
        """, "DRV9002");

    [Fact]
    public Task CorrectTryAcquiresAreAccepted() => Verifier.VerifyAsync("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [TryAcquires(true)] public bool TryLock() => true;
            [TryAcquires(0)] public int LockInterruptible() => 0;
            [Releases] public void Unlock() { }
        }
        """);

    [Fact]
    public Task NonLockMemberAmongLocks() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public long Flags;
            [[|Requires("Resv", "Flags")|]] public void Evict() { }
        }
        """, "DRV9002");

    [Fact]
    public Task MisappliedAnnotationAtCallSitesIsNotReportedAgain() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public int Count;
            [[|Requires("Count")|]] public void Flush() { }

            public void Use() { Flush(); Flush(); }
        }
        """, "DRV9002");

    [Fact]
    public Task GuardedByAnObjectUsedWithLockStatementIsAccepted() => Verifier.VerifyAsync("""
        public sealed class Queue
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Push() { lock (_sync) { _n++; } }
        }
        """);
}
