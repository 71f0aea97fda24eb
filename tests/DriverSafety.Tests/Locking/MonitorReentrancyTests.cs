using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// .NET monitors (the C# <c>lock</c> statement, <c>Monitor.Enter/Exit</c>) are re-entrant: nesting one in itself is not
/// a self-deadlock, and the lock stays held until the outermost exit.
/// </summary>
public sealed class MonitorReentrancyTests
{
    [Fact]
    public Task NestedLockStatementOnOneObjectIsNotADeadlock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Work()
            {
                lock (_sync)
                {
                    lock (_sync)
                    {
                        _n++;
                    }

                    _n--;
                }
            }
        }
        """);

    [Fact]
    public Task GuardedAccessAfterTheOutermostExitIsReported() => Verifier.VerifyAsync("""
        using System.Threading;

        public sealed class Dev
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _n;

            public void Work()
            {
                Monitor.Enter(_sync);
                Monitor.Enter(_sync);
                _n++;
                Monitor.Exit(_sync);
                _n++;
                Monitor.Exit(_sync);
                [|_n|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task KernelMutexIsNotReentrant() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _n;

            public void Work()
            {
                _m.Lock();
                [|_m.Lock()|];
                _n++;
                _m.Unlock();
            }
        }
        """, "DRV1005");
}
