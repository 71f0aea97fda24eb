using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>Body kinds and control-flow shapes beyond the per-rule files: catch handlers, foreach, do-while, accessors, constructors, recursion.</summary>
public sealed class ControlFlowShapeTests
{
    private const string Dev = """
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            private static void Work() { }

        """;

    [Fact]
    public Task UnlockInACatchHandlerThatRethrows() => Verifier.VerifyAsync(Dev + """
            public void Start()
            {
                _m.Lock();
                try
                {
                    Work();
                    _count++;
                }
                catch (InvalidOperationException)
                {
                    _count = 0;
                    _m.Unlock();
                    throw;
                }

                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task TryCatchFinallyUnderTheLock() => Verifier.VerifyAsync(Dev + """
            public void Start()
            {
                _m.Lock();
                try
                {
                    Work();
                    _count++;
                }
                catch (Exception)
                {
                    _count--;
                }
                finally
                {
                    _m.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task ForeachWithBalancedBody() => Verifier.VerifyAsync(Dev + """
            public void Add(int[] items)
            {
                foreach (var x in items)
                {
                    _m.Lock();
                    _count += x;
                    _m.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task DoWhileWithBalancedBody() => Verifier.VerifyAsync(Dev + """
            public void Add(Func<bool> more)
            {
                do
                {
                    _m.Lock();
                    _count++;
                    _m.Unlock();
                }
                while (more());
            }
        }
        """);

    [Fact]
    public Task ForeachWithUnbalancedBody() => Verifier.VerifyAsync(Dev + """
            public void Add(int[] items)
            {
                foreach (var x in items)
                {
                    [|_m.Lock()|];
                    _count += x;
                }
            }
        }
        """, "DRV1009");

    [Fact]
    public Task PropertyAccessorBodiesAreAnalysed() => Verifier.VerifyAsync(Dev + """
            public int Count
            {
                get { return [|_count|]; }
                set { _m.Lock(); _count = value; _m.Unlock(); }
            }
        }
        """, "DRV1001");

    [Fact]
    public Task RequiresPropertyAccessorStartsWithTheLockHeld() => Verifier.VerifyAsync(Dev + """
            [Requires("_m")] public int Count => _count;
        }
        """);

    [Fact]
    public Task FieldInitializerIsConstruction() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count = 5;
            [GuardedBy("_m")] private int[] _slots = new int[4];
        }
        """);

    [Fact]
    public Task ConstructorLeakingALock() => Verifier.Test(Dev + """
            public Dev()
            {
                [|_m.Lock()|];
                _count = 1;
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();

    [Fact]
    public Task RecursionOnTheSameLockIsSelfDeadlock() => Verifier.VerifyAsync(Dev + """
            public void Walk(int depth)
            {
                _m.Lock();
                if (depth > 0)
                    [|Walk(depth - 1)|];
                _m.Unlock();
            }
        }
        """, "DRV1005");

    [Fact]
    public Task RecursionOnAnotherObjectsLock() => Verifier.VerifyAsync("""
        public sealed class Node
        {
            public readonly SpinLock Lock = new SpinLock();
            public Node? Next;
            [GuardedBy("Lock")] public int Value;

            public static void Bump(Node n)
            {
                n.Lock.Lock();
                n.Value++;
                n.Lock.Unlock();
                if (n.Next != null)
                    Bump(n.Next);
            }
        }
        """);

    [Fact]
    public Task ConditionalExpressionChoosingTheLockedPath() => Verifier.VerifyAsync(Dev + """
            public int Read(bool locked)
            {
                _m.Lock();
                var n = locked ? _count : 0;
                _m.Unlock();
                return locked ? [|_count|] : n;
            }
        }
        """, "DRV1001");
}
