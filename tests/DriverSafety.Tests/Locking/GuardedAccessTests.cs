using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

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
    public Task ReadWithoutLock() => Verifier.VerifyAsync(Counter + """
            public int Get() => [|Count|];
        }
        """, "DRV1001", messageContains: "Lock");

    [Fact]
    public Task ReadUnderLock() => Verifier.VerifyAsync(Counter + """
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
    public Task WriteWithoutLock() => Verifier.VerifyAsync(Counter + """
            public void Set(int v) { [|Count|] = v; }
        }
        """, "DRV1001");

    [Fact]
    public Task IncrementAndCompoundAssignmentReportTheMemberReference() => Verifier.VerifyAsync(Counter + """
            public void Bump()
            {
                [|Count|]++;
                --[|Count|];
                [|Count|] += 2;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task ThisQualifiedAccessReportsTheWholeExpression() => Verifier.VerifyAsync(Counter + """
            public void Reset() { [|this.Count|] = 0; }
        }
        """, "DRV1001");

    [Fact]
    public Task QualifiedAccessOnAnotherObject() => Verifier.VerifyAsync(Counter + """
        }

        public static class User
        {
            public static void Touch(Counter c, Counter d)
            {
                c.Lock.Lock();
                c.Count = 1;
                [|d.Count|] = 1;
                c.Lock.Unlock();
            }
        }
        """, "DRV1001", messageContains: "d.Lock");

    [Fact]
    public Task GuardedPropertyWithoutLock() => Verifier.VerifyAsync(Counter + """
            public void Grow() { [|Size|] = [|Size|] * 2; }
        }
        """, "DRV1001");

    [Fact]
    public Task AccessAfterUnlock() => Verifier.VerifyAsync(Counter + """
            public void Twice()
            {
                Lock.Lock();
                Count = 1;
                Lock.Unlock();
                [|Count|] = 2;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task AccessBeforeLock() => Verifier.VerifyAsync(Counter + """
            public void Early()
            {
                [|Count|] = 1;
                Lock.Lock();
                Count = 2;
                Lock.Unlock();
            }
        }
        """, "DRV1001");

    [Fact]
    public Task ConstructorMayInitialiseItsOwnGuardedMembers() => Verifier.VerifyAsync(Counter + """
            public Counter() { Count = 5; Size = 3; this.Count++; }
        }
        """);

    [Fact]
    public Task ConstructorAccessToAnotherObjectIsChecked() => Verifier.VerifyAsync(Counter + """
            public Counter(Counter other) { Count = [|other.Count|]; }
        }
        """, "DRV1001");

    [Fact]
    public Task RefArgumentIsAWrite() => Verifier.VerifyAsync(Counter + """
            public void Atomic() { Interlocked.Increment(ref [|Count|]); }
        }
        """, "DRV1001");

    [Fact]
    public Task OutArgumentIsAWrite() => Verifier.VerifyAsync(Counter + """
            public bool Parse(string s) => int.TryParse(s, out [|Count|]);
        }
        """, "DRV1001");

    [Fact]
    public Task RefArgumentUnderLock() => Verifier.VerifyAsync(Counter + """
            public void Atomic()
            {
                Lock.Lock();
                Interlocked.Increment(ref Count);
                Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task NameofIsNotAnAccess() => Verifier.VerifyAsync(Counter + """
            public string Name() => nameof(Count);
        }
        """);

    [Fact]
    public Task TryFinallyRelease() => Verifier.VerifyAsync(Counter + """
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

                [|Count|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task EarlyReturnThatReleases() => Verifier.VerifyAsync(Counter + """
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
    public Task BalancedLoopBody() => Verifier.VerifyAsync(Counter + """
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
    public Task SharedHoldAllowsReads() => Verifier.VerifyAsync("""
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
    public Task SharedHoldDoesNotAllowWrites() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
            [GuardedBy("MmapLock")] public int MapCount;

            public void Write()
            {
                MmapLock.DownRead();
                [|MapCount|]++;
                [|MapCount|] = 0;
                Interlocked.Increment(ref [|MapCount|]);
                MmapLock.UpRead();
            }
        }
        """, "DRV1001");

    [Fact]
    public Task ExclusiveHoldAllowsWrites() => Verifier.VerifyAsync("""
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
    public Task CSharpLockStatementIsALock() => Verifier.VerifyAsync("""
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

                [|_n|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task MonitorEnterExitIsALock() => Verifier.VerifyAsync("""
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
    public Task StaticLockTypeMember() => Verifier.VerifyAsync("""
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

            public static void Bad() { [|Registry.Count|]++; }
        }
        """, "DRV1001");

    [Fact]
    public Task MemberPathLock() => Verifier.VerifyAsync("""
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

            public static void Bad(Vma vma) { [|vma.Flags|] = 1; }
        }
        """, "DRV1001", messageContains: "vma.Mm.MmapLock");

    [Fact]
    public Task NoAliasAnalysisThroughALocal() => Verifier.VerifyAsync("""
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
                [|vma.Flags|] = 1;
                mm.MmapLock.UpWrite();
            }
        }
        """, "DRV1001");

    [Fact]
    public Task WrongObjectsLock() => Verifier.VerifyAsync(Counter + """
        }

        public static class User
        {
            public static int Sum(Counter a, Counter b)
            {
                a.Lock.Lock();
                var n = a.Count + [|b.Count|];
                a.Lock.Unlock();
                return n;
            }
        }
        """, "DRV1001");
}
