using Xunit;
using DriverSafety.Tests.Verification;

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
    public Task UnlockInACatchHandlerThatRethrows() => Verify.Analyzer(Dev + """
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
    public Task TryCatchFinallyUnderTheLock() => Verify.Analyzer(Dev + """
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
    public Task ForeachWithBalancedBody() => Verify.Analyzer(Dev + """
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
    public Task DoWhileWithBalancedBody() => Verify.Analyzer(Dev + """
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
    public Task ForeachWithUnbalancedBody() => Verify.Analyzer(Dev + """
            public void Add(int[] items)
            {
                foreach (var x in {|#1:items|})
                {
                    {|#0:_m.Lock()|};
                    _count += x;
                }
            }
        }
        """, Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1));

    [Fact]
    public Task PropertyAccessorBodiesAreAnalysed() => Verify.Analyzer(Dev + """
            public int Count
            {
                get { return {|DRV1001:_count|}; }
                set { _m.Lock(); _count = value; _m.Unlock(); }
            }
        }
        """);

    [Fact]
    public Task RequiresPropertyAccessorStartsWithTheLockHeld() => Verify.Analyzer(Dev + """
            [Requires("_m")] public int Count => _count;
        }
        """);

    [Fact]
    public Task FieldInitializerIsConstruction() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count = 5;
            [GuardedBy("_m")] private int[] _slots = new int[4];
        }
        """);

    [Fact]
    public Task ConstructorLeakingALock() => Verify.Analyzer(Dev + """
            public Dev()
            {
                {|#0:_m.Lock()|};
                _count = 1;
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task RecursionOnTheSameLockIsSelfDeadlock() => Verify.Analyzer(Dev + """
            public void Walk(int depth)
            {
                {|#1:_m.Lock()|};
                if (depth > 0)
                    {|#0:Walk(depth - 1)|};
                _m.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task RecursionOnAnotherObjectsLock() => Verify.Analyzer("""
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
    public Task ConditionalExpressionChoosingTheLockedPath() => Verify.Analyzer(Dev + """
            public int Read(bool locked)
            {
                _m.Lock();
                var n = locked ? _count : 0;
                _m.Unlock();
                return locked ? {|DRV1001:_count|} : n;
            }
        }
        """);
}
