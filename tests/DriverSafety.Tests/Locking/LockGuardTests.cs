using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>[LockGuard]: the lock taken by an [Acquires] method returning a guard is held until the guard is disposed.</summary>
public sealed class LockGuardTests
{
    private const string Gem = """
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;
            [Requires("Resv")] public void Vmap() { }

        """;

    [Fact]
    public Task UsingDeclarationHoldsToTheEndOfTheMethod() => Verify.Analyzer(Gem + """
            public int Pin(bool early)
            {
                using var guard = Resv.LockScoped();
                if (early)
                    return Pages;
                Pages++;
                Vmap();
                return 0;
            }
        }
        """);

    [Fact]
    public Task UsingDeclarationEndsWithItsBlock() => Verify.Analyzer(Gem + """
            public void Pin()
            {
                {
                    using var guard = Resv.LockScoped();
                    Pages++;
                }

                {|DRV1001:Pages|}++;
            }
        }
        """);

    [Fact]
    public Task UsingStatementHoldsInsideTheBlockOnly() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                using (_m.LockScoped())
                {
                    _state++;
                }

                {|DRV1001:_state|}++;
            }
        }
        """);

    [Fact]
    public Task UsingStatementWithVariable() => Verify.Analyzer(Gem + """
            public void Pin()
            {
                using (var guard = Resv.LockScoped())
                {
                    Vmap();
                }

                {|DRV1002:Vmap()|};
            }
        }
        """);

    [Fact]
    public Task AccessBeforeTheGuard() => Verify.Analyzer(Gem + """
            public void Pin()
            {
                {|DRV1001:Pages|} = 0;
                using var guard = Resv.LockScoped();
                Pages++;
            }
        }
        """);

    [Fact]
    public Task UsingGuardInALoop() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    using var guard = _m.LockScoped();
                    _state += i;
                }
            }
        }
        """);

    [Fact]
    public Task GuardNeverDisposedLeaksTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                var guard = {|#0:_m.LockScoped()|};
                _state++;
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));
}
