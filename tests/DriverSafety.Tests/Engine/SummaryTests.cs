using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Engine;

/// <summary>
/// Interprocedural summaries: which locks a method of the compilation takes in its body, through any depth of callees,
/// recursion included (mutual recursion is one strongly connected group solved to its least fixpoint).
/// </summary>
public sealed class SummaryTests
{
    [Fact]
    public Task MutualRecursionThatTakesTheLockIsFoundWithItsChain() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            private void Even(int n)
            {
                if (n > 0)
                    Odd(n - 1);
            }

            private void Odd(int n)
            {
                if (n > 0)
                {
                    Even(n - 1);
                }
                else
                {
                    _m.Lock();
                    _m.Unlock();
                }
            }

            public void Start()
            {
                {|#1:_m.Lock()|};
                {|#0:Even(4)|};
                _m.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1).WithMessage("Acquiring lock '_m' that is already held (acquired at line 26) through 'Even → Odd → Mutex.Lock': self-deadlock"));

    [Fact]
    public Task RecursionThatNeverTakesTheHeldLockIsSilent() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            private readonly Mutex _other = new Mutex();

            private int Depth(int n) => n > 0 ? Depth(n - 1) + Width(n) : 0;

            private int Width(int n)
            {
                _other.Lock();
                var w = n;
                _other.Unlock();
                return n > 1 ? Depth(n / 2) + w : w;
            }

            public int Start()
            {
                _m.Lock();
                var d = Depth(8);
                _m.Unlock();
                return d;
            }
        }
        """);

    [Fact]
    public Task RecursionThatRetakesAHeldLockIsSelfDeadlock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _other = new Mutex();

            private int Depth(int n) => n > 0 ? Width(n) : 0;

            private int Width(int n)
            {
                {|#1:_other.Lock()|};
                var w = n > 1 ? {|#0:Depth(n / 2)|} : 1;
                _other.Unlock();
                return w;
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task ALongCallChainIsFollowedToTheBottom() =>
        Verify.Analyzer(ChainSource(200), Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    private static string ChainSource(int length)
    {
        var methods = string.Concat(Enumerable.Range(0, length).Select(i =>
            i == length - 1
                ? $"    private void C{i}() {{ _m.Lock(); _m.Unlock(); }}\n"
                : $"    private void C{i}() {{ C{i + 1}(); }}\n"));
        return "public sealed class Dev\n{\n    private readonly Mutex _m = new Mutex();\n" + methods +
            "    public void Start() { {|#1:_m.Lock()|}; {|#0:C0()|}; _m.Unlock(); }\n}\n";
    }
}
