using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>arch_spinlock_t</c>: the checker's own lock (lockdep's <c>graph_lock</c>). It is not tracked by lockdep, does not
/// touch the preempt count, and never sleeps, so the checker can run from any context.
/// </summary>
[LockType(LockKind.Spinning)]
internal sealed class RawSpinLock
{
    private int _locked;

    [Acquires]
    public void Lock()
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _locked, 1, 0) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    [Releases]
    public void Unlock() => Volatile.Write(ref _locked, 0);
}
