using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// .NET monitors (the C# <c>lock</c> statement, <c>Monitor.Enter/Exit</c>) are re-entrant: nesting one in itself is not
/// a self-deadlock, and the lock stays held until the outermost exit.
/// </summary>
public sealed class MonitorReentrancyTests
{
    [Fact]
    public Task NestedLockStatementOnOneObjectIsNotADeadlock() => Verify.Analyzer("""
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
    public Task GuardedAccessAfterTheOutermostExitIsReported() => Verify.Analyzer("""
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
                {|DRV1001:_n|}++;
            }
        }
        """);

    [Fact]
    public Task KernelMutexIsNotReentrant() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _n;

            public void Work()
            {
                {|#1:_m.Lock()|};
                {|#0:_m.Lock()|};
                _n++;
                _m.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));
}
