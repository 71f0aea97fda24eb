using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Kernel;

[Collection("RuntimeCheck")]
public sealed class WorkQueueTests : RuntimeCheckTest
{
    [Fact]
    public void QueuedWorkRunsInProcessContextInOrder()
    {
        var wq = new WorkQueue("wq-order");
        var log = new List<int>();
        var inAtomic = true;
        var first = new Work(() =>
        {
            Sched.Msleep(1);
            inAtomic = RuntimeCheck.InAtomic;
            log.Add(1);
        });
        var second = new Work(() => log.Add(2));
        Assert.True(wq.Queue(first));
        Assert.True(wq.Queue(second));
        wq.Flush();
        Assert.Equal(new[] { 1, 2 }, log);
        Assert.False(inAtomic);
        wq.Destroy();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void PendingWorkIsQueuedOnceAndCanBeCancelled()
    {
        var wq = new WorkQueue("wq-cancel");
        using var gate = new System.Threading.ManualResetEventSlim();
        var runs = 0;
        var blocker = new Work(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var counted = new Work(() => runs++);
        wq.Queue(blocker);
        Assert.True(wq.Queue(counted));
        Assert.False(wq.Queue(counted));
        Assert.True(counted.IsPending);
        Assert.True(wq.CancelWorkSync(counted));
        Assert.False(counted.IsPending);
        gate.Set();
        wq.Flush();
        Assert.Equal(0, runs);
        wq.Destroy();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void WorkLeakingALockIsReported()
    {
        var wq = new WorkQueue("wq-leak");
        var s = new SpinLock("WorkQueueTests.Leaked");
        wq.Queue(new Work(s.Lock, "leaker"));
        wq.Flush();
        wq.Destroy();
        Assert.Equal("WorkQueueTests.Leaked", Expect(RuntimeViolationKind.LeakedLockOrAtomic).LockClass);
        ExpectOnly(RuntimeViolationKind.LeakedLockOrAtomic);
    }

    [Fact]
    public void FlushingUnderALockAWorkItemTakesIsAnInversion()
    {
        var wq = new WorkQueue("wq-flush");
        var m = new Mutex("WorkQueueTests.M");
        wq.Queue(new Work(() =>
        {
            m.Lock();
            m.Unlock();
        }, "takes-m"));
        wq.Flush();
        RuntimeCheck.AssertClean();

        m.Lock();
        wq.Flush();
        m.Unlock();
        wq.Destroy();
        Assert.Contains("wq:wq-flush", Expect(RuntimeViolationKind.LockOrderInversion).Message);
        ExpectOnly(RuntimeViolationKind.LockOrderInversion);
    }

    [Fact]
    public void CancelWorkSyncWaitsForARunningItem()
    {
        var wq = new WorkQueue("wq-running");
        using var started = new System.Threading.ManualResetEventSlim();
        var finished = false;
        var slow = new Work(() =>
        {
            started.Set();
            Sched.Msleep(50);
            finished = true;
        }, "slow");
        wq.Queue(slow);
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        Assert.False(wq.CancelWorkSync(slow));
        Assert.True(finished);
        wq.Destroy();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void IrqHandlerReturningWithALockHeldIsReported()
    {
        var irqs = new IrqController("leaky-irq");
        var s = new SpinLock("WorkQueueTests.IrqLeak");
        irqs.RequestIrq(11, (irq, dev) =>
        {
            s.Lock();
            return IrqReturn.Handled;
        }, null);
        irqs.Raise(11);
        Assert.False(RuntimeCheck.InAtomic);
        irqs.FreeIrq(11, null);
        irqs.Destroy();
        ExpectOnly(RuntimeViolationKind.LeakedLockOrAtomic);
    }
}
