using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// A method's own [TryAcquires]: where it returns its success value the lock must be held (DRV1011); where it returns a
/// value known to be a failure, a lock it took is a leak (DRV1003), the drm_gem_lock_reservations() error path.
/// </summary>
public sealed class TryAcquireExitTests
{
    [Fact]
    public Task Failure_exit_that_keeps_the_lock_is_a_leak() => Verify.Analyzer("""
        public sealed class Submit
        {
            public readonly Mutex Lock = new Mutex();

            [TryAcquires(0, "Lock")]
            public int Begin(bool busy)
            {
                {|#0:Lock.Lock()|};
                if (busy)
                {
                    {|#1:return -16;|}
                }

                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock 'Lock' acquired here is still held where 'Begin' exits (line 11)"));

    [Fact]
    public Task Success_exit_without_the_lock_breaks_the_contract() => Verify.Analyzer("""
        public sealed class Submit
        {
            public readonly Mutex Lock = new Mutex();

            [TryAcquires(true, "Lock")]
            public bool Begin(bool busy)
            {
                if (busy)
                {
                    return false;
                }

                if (Lock.TryLock())
                {
                    return true;
                }

                {|#0:return true;|}
            }
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'Begin' declares that it try-acquires (held where it returns true) lock 'Lock', but it is not held at this exit"));

    [Fact]
    public Task Correct_try_acquire_through_a_stored_result_is_clean() => Verify.Analyzer("""
        public sealed class Submit
        {
            public readonly Mutex Lock = new Mutex();

            [TryAcquires(0, "Lock")]
            public int Begin(bool busy)
            {
                int ret = -16;
                if (!busy)
                {
                    Lock.Lock();
                    ret = 0;
                }

                return ret;
            }
        }
        """);
}
