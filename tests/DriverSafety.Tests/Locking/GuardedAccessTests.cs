using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1001: a [GuardedBy] member read without its lock, or written without it held exclusively.</summary>
public sealed class GuardedAccessTests
{
    private const string Counter = """
        public sealed class Counter
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Count;
            [GuardedBy("Lock")] public int Size { get; set; }
        """;

    [Fact]
    public Task ReadWithoutLock() => Verify.Analyzer(Counter + """
            public int Get() => {|#0:Count|};
        }
        """, Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Read of 'Count' requires lock 'Lock' held"));

    [Fact]
    public Task ReadUnderLock() => Verify.Analyzer(Counter + """
            public int Get()
            {
                Lock.Lock();
                var n = Count;
                Lock.Unlock();
                return n;
            }
        }
        """);

    [Fact]
    public Task WriteWithoutLock() => Verify.Analyzer(Counter + """
            public void Set(int v) { {|DRV1001:Count|} = v; }
        }
        """);

    [Fact]
    public Task IncrementAndCompoundAssignmentReportTheMemberReference() => Verify.Analyzer(Counter + """
            public void Bump()
            {
                {|DRV1001:Count|}++;
                --{|DRV1001:Count|};
                {|DRV1001:Count|} += 2;
            }
        }
        """);

    [Fact]
    public Task ThisQualifiedAccessReportsTheWholeExpression() => Verify.Analyzer(Counter + """
            public void Reset() { {|DRV1001:this.Count|} = 0; }
        }
        """);

    [Fact]
    public Task QualifiedAccessOnAnotherObject() => Verify.Analyzer(Counter + """
        }

        public static class User
        {
            public static void Touch(Counter c, Counter d)
            {
                c.Lock.Lock();
                c.Count = 1;
                {|#0:d.Count|} = 1;
                c.Lock.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of 'Count' requires lock 'd.Lock' held exclusively"));

    [Fact]
    public Task GuardedPropertyWithoutLock() => Verify.Analyzer(Counter + """
            public void Grow() { {|DRV1001:Size|} = {|DRV1001:Size|} * 2; }
        }
        """);

    [Fact]
    public Task AccessAfterUnlock() => Verify.Analyzer(Counter + """
            public void Twice()
            {
                Lock.Lock();
                Count = 1;
                Lock.Unlock();
                {|DRV1001:Count|} = 2;
            }
        }
        """);

    [Fact]
    public Task AccessBeforeLock() => Verify.Analyzer(Counter + """
            public void Early()
            {
                {|DRV1001:Count|} = 1;
                Lock.Lock();
                Count = 2;
                Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task ConstructorMayInitialiseItsOwnGuardedMembers() => Verify.Analyzer(Counter + """
            public Counter() { Count = 5; Size = 3; this.Count++; }
        }
        """);

    [Fact]
    public Task ConstructorAccessToAnotherObjectIsChecked() => Verify.Analyzer(Counter + """
            public Counter(Counter other) { Count = {|DRV1001:other.Count|}; }
        }
        """);

    [Fact]
    public Task RefArgumentIsAWrite() => Verify.Analyzer(Counter + """
            public void Atomic() { Interlocked.Increment(ref {|DRV1001:Count|}); }
        }
        """);

    [Fact]
    public Task OutArgumentIsAWrite() => Verify.Analyzer(Counter + """
            public bool Parse(string s) => int.TryParse(s, out {|DRV1001:Count|});
        }
        """);

    [Fact]
    public Task RefArgumentUnderLock() => Verify.Analyzer(Counter + """
            public void Atomic()
            {
                Lock.Lock();
                Interlocked.Increment(ref Count);
                Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task NameofIsNotAnAccess() => Verify.Analyzer(Counter + """
            public string Name() => nameof(Count);
        }
        """);

    [Fact]
    public Task TryFinallyRelease() => Verify.Analyzer(Counter + """
            public void Safe()
            {
                Lock.Lock();
                try
                {
                    Count++;
                }
                finally
                {
                    Lock.Unlock();
                }

                {|DRV1001:Count|}++;
            }
        }
        """);

    [Fact]
    public Task EarlyReturnThatReleases() => Verify.Analyzer(Counter + """
            public int Take(bool empty)
            {
                Lock.Lock();
                if (empty)
                {
                    Lock.Unlock();
                    return 0;
                }

                var n = Count--;
                Lock.Unlock();
                return n;
            }
        }
        """);

    [Fact]
    public Task BalancedLoopBody() => Verify.Analyzer(Counter + """
            public void Many(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    Lock.Lock();
                    Count += i;
                    Lock.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task SharedHoldAllowsReads() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
            [GuardedBy("MmapLock")] public int MapCount;

            public int Read()
            {
                MmapLock.DownRead();
                var n = MapCount;
                MmapLock.UpRead();
                return n;
            }
        }
        """);

    [Fact]
    public Task SharedHoldDoesNotAllowWrites() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
            [GuardedBy("MmapLock")] public int MapCount;

            public void Write()
            {
                {|#1:MmapLock.DownRead()|};
                {|#0:MapCount|}++;
                {|#2:MapCount|} = 0;
                Interlocked.Increment(ref {|#3:MapCount|});
                MmapLock.UpRead();
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1001").WithLocation(2).WithLocation(1),
        Verify.Diagnostic("DRV1001").WithLocation(3).WithLocation(1));

    [Fact]
    public Task ExclusiveHoldAllowsWrites() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
            [GuardedBy("MmapLock")] public int MapCount;

            public void Write()
            {
                MmapLock.DownWrite();
                MapCount++;
                MmapLock.UpWrite();
            }
        }
        """);

    [Fact]
    public Task CSharpLockStatementIsALock() => Verify.Analyzer("""
        public sealed class Queue
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Push()
            {
                lock (_sync)
                {
                    _n++;
                }

                {|DRV1001:_n|}++;
            }
        }
        """);

    [Fact]
    public Task MonitorEnterExitIsALock() => Verify.Analyzer("""
        public sealed class Queue
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Push()
            {
                Monitor.Enter(_sync);
                try
                {
                    _n++;
                }
                finally
                {
                    Monitor.Exit(_sync);
                }
            }
        }
        """);

    [Fact]
    public Task StaticLockTypeMember() => Verify.Analyzer("""
        public static class Registry
        {
            public static readonly Mutex Lock = new Mutex();
            [GuardedBy("Registry.Lock")] public static int Count;
        }

        public static class User
        {
            public static void Good()
            {
                Registry.Lock.Lock();
                Registry.Count++;
                Registry.Lock.Unlock();
            }

            public static void Bad() { {|DRV1001:Registry.Count|}++; }
        }
        """);

    [Fact]
    public Task MemberPathLock() => Verify.Analyzer("""
        public sealed class Mm { public readonly RwSemaphore MmapLock = new RwSemaphore(); }

        public sealed class Vma
        {
            public Mm Mm = new Mm();
            [GuardedBy("Mm.MmapLock")] public int Flags;
        }

        public static class User
        {
            public static void Good(Vma vma)
            {
                vma.Mm.MmapLock.DownWrite();
                vma.Flags = 1;
                vma.Mm.MmapLock.UpWrite();
            }

            public static void Bad(Vma vma) { {|#0:vma.Flags|} = 1; }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of 'Flags' requires lock 'vma.Mm.MmapLock' held exclusively"));

    [Fact]
    public Task ALocalAssignedOnceStandsForItsPathAndAReassignedOneDoesNot() => Verify.Analyzer("""
        public sealed class Mm { public readonly RwSemaphore MmapLock = new RwSemaphore(); }

        public sealed class Vma
        {
            public Mm Mm = new Mm();
            [GuardedBy("Mm.MmapLock")] public int Flags;
        }

        public static class User
        {
            public static void Aliased(Vma vma)
            {
                var mm = vma.Mm;
                mm.MmapLock.DownWrite();
                vma.Flags = 1;
                mm.MmapLock.UpWrite();
            }

            public static void Reassigned(Vma vma, Mm other)
            {
                var mm = vma.Mm;
                mm = other;
                mm.MmapLock.DownWrite();
                {|DRV1001:vma.Flags|} = 1;
                mm.MmapLock.UpWrite();
            }
        }
        """);

    [Fact]
    public Task WrongObjectsLock() => Verify.Analyzer(Counter + """
        }

        public static class User
        {
            public static int Sum(Counter a, Counter b)
            {
                a.Lock.Lock();
                var n = a.Count + {|DRV1001:b.Count|};
                a.Lock.Unlock();
                return n;
            }
        }
        """);
}
