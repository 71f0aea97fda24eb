using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9002: an annotation that resolves but cannot mean anything: a lock expression naming a non-lock value or
/// going through a method call, a null lock list, a try-acquire on a method of the wrong return type.
/// </summary>
public sealed class AnnotationMisappliedTests
{
    [Fact]
    public Task GuardedByAnInt() => Verify.Analyzer("""
        public sealed class Dev
        {
            public int Count;
            [{|#0:GuardedBy("Count")|}] public int State;
        }
        """,
        Verify.Diagnostic("DRV9002").WithLocation(0).WithMessage("[GuardedBy] on 'State': lock expression 'Count' denotes a value of type 'int', which is not a lock"));

    [Fact]
    public Task RequiresAnIntOfAParameter() => Verify.Analyzer("""
        public sealed class Gem
        {
            public int Size;
            [{|DRV9002:Requires("obj.Size")|}] public static void Vmap(Gem obj) { }
        }
        """);

    [Fact]
    public Task PathThroughAMethodCall() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public DmaResv GetLock() => Resv;
            [{|DRV9002:GuardedBy("GetLock()")|}] public int Pages;
        }
        """);

    [Fact]
    public Task PathThroughAMethodCallInTheMiddle() => Verify.Analyzer("""
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
            [{|DRV9002:Requires("Obj.GetResv().X")|}] public void Fault() { }
        }
        """);

    [Fact]
    public Task NullLockArray() => Verify.Analyzer("""
        public sealed class Dev
        {
            [{|DRV9002:Requires(null)|}] public void Flush() { }
        }
        """);

    [Fact]
    public Task BoolTryAcquireOnAnIntMethod() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [{|DRV9002:TryAcquires(true)|}] public int TryLock() => 0;
            [Releases] public void Unlock() { }
        }
        """);

    [Fact]
    public Task IntTryAcquireOnABoolMethod() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [{|DRV9002:TryAcquires(0)|}] public bool TryLock() => true;
            [Releases] public void Unlock() { }
        }
        """);

    [Fact]
    public Task TryAcquireOnAVoidMethod() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [{|DRV9002:TryAcquires(true)|}] public void TryLock() { }
            [Releases] public void Unlock() { }
        }
        """);

    [Fact]
    public Task CorrectTryAcquiresAreAccepted() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        public sealed class Lock2
        {
            [TryAcquires(true)] public bool TryLock() => true;
            [TryAcquires(0)] public int LockInterruptible() => 0;
            [Releases] public void Unlock() { }
        }
        """);

    [Fact]
    public Task NonLockMemberAmongLocks() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public long Flags;
            [{|DRV9002:Requires("Resv", "Flags")|}] public void Evict() { }
        }
        """);

    [Fact]
    public Task MisappliedAnnotationAtCallSitesIsNotReportedAgain() => Verify.Analyzer("""
        public sealed class Dev
        {
            public int Count;
            [{|DRV9002:Requires("Count")|}] public void Flush() { }

            public void Use() { Flush(); Flush(); }
        }
        """);

    [Fact]
    public Task GuardedByAnObjectUsedWithLockStatementIsAccepted() => Verify.Analyzer("""
        public sealed class Queue
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Push() { lock (_sync) { _n++; } }
        }
        """);
}
