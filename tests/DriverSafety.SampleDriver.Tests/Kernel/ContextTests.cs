using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Kernel;

[Collection("RuntimeCheck")]
public sealed class ContextTests : RuntimeCheckTest
{
    [Fact]
    public void RcuReaderIsAtomic()
    {
        Rcu.ReadLock();
        Assert.True(RuntimeCheck.InAtomic);
        Sched.Udelay(1);
        RuntimeCheck.AssertNoViolations();
        Sched.MightSleep();
        Rcu.ReadUnlock();
        ExpectOnly(RuntimeViolationKind.SleepInAtomic);
        Rcu.Synchronize();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SynchronizeRcuWaitsForAReader()
    {
        using var inside = new System.Threading.ManualResetEventSlim();
        using var leave = new System.Threading.ManualResetEventSlim();
        var reader = new System.Threading.Thread(() =>
        {
            Rcu.ReadLock();
            inside.Set();
            leave.Wait(TimeSpan.FromSeconds(10));
            Rcu.ReadUnlock();
        });
        reader.Start();
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10)));
        var sync = new System.Threading.Thread(Rcu.Synchronize);
        sync.Start();
        Assert.False(sync.Join(50));
        leave.Set();
        Assert.True(sync.Join(TimeSpan.FromSeconds(10)));
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)));
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void PreemptUnderflowIsReported()
    {
        Preempt.Disable();
        Preempt.Enable();
        RuntimeCheck.AssertClean();
        Preempt.Enable();
        ExpectOnly(RuntimeViolationKind.UnbalancedContext);
    }

    [Fact]
    public void SleepingWithIrqsOffIsReported()
    {
        var flags = Irq.LocalSave();
        Sched.Schedule();
        Irq.LocalRestore(flags);
        Assert.Contains("irqs_disabled(): 1", Expect(RuntimeViolationKind.SleepInAtomic).Message);
        ExpectOnly(RuntimeViolationKind.SleepInAtomic);
    }

    [Fact]
    public void AllocationFlagsDecideWhetherAnAllocationMaySleep()
    {
        var s = new SpinLock("ContextTests.Spin");
        s.Lock();
        Slab.Kfree(Slab.Kmalloc(64, Gfp.Atomic));
        Slab.Kfree(Slab.Kzalloc(64, Gfp.NoWait));
        RuntimeCheck.AssertNoViolations();
        Slab.Kfree(Slab.Kmalloc(64, Gfp.Kernel));
        s.Unlock();
        ExpectOnly(RuntimeViolationKind.SleepInAtomic);

        s.Lock();
        var saved = MemAlloc.NoReclaimSave();
        Slab.Kfree(Slab.Kmalloc(64, Gfp.Kernel));
        MemAlloc.NoReclaimRestore(saved);
        s.Unlock();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void MemallocScopesNest()
    {
        var outer = MemAlloc.NoFsSave();
        Assert.Equal(Gfp.NoFs, MemAlloc.CurrentGfp(Gfp.Kernel));
        var inner = MemAlloc.NoIoSave();
        Assert.Equal(Gfp.NoIo, MemAlloc.CurrentGfp(Gfp.Kernel));
        MemAlloc.NoIoRestore(inner);
        Assert.Equal(Gfp.NoFs, MemAlloc.CurrentGfp(Gfp.Kernel));
        MemAlloc.NoFsRestore(outer);
        Assert.Equal(Gfp.Kernel, MemAlloc.CurrentGfp(Gfp.Kernel));
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void DoubleKfreeIsReported()
    {
        var p = Slab.Kmalloc(16, Gfp.Kernel);
        Slab.Kfree(p);
        Slab.Kfree(p);
        ExpectOnly(RuntimeViolationKind.BadFree);
        var v = Slab.Vmalloc(4096);
        Slab.Vfree(v);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void PagesAreRefcountedAndFreedWithTheirOrder()
    {
        var free = PageAlloc.FreePageCount;
        var page = PageAlloc.AllocPages(Gfp.Kernel, 2);
        Assert.NotNull(page);
        Assert.Equal(4 * Page.Size, page.Data.Length);
        Assert.Equal(free - 4, PageAlloc.FreePageCount);
        page.Get();
        PageAlloc.FreePages(page, 2);
        Assert.False(page.IsFree);
        page.Put();
        Assert.True(page.IsFree);
        Assert.Equal(free, PageAlloc.FreePageCount);
        PageAlloc.FreePages(page, 2);
        ExpectOnly(RuntimeViolationKind.BadFree);
    }

    [Fact]
    public void AssertCleanListsEveryViolation()
    {
        RuntimeCheck.Report(RuntimeViolationKind.BadFree, "first");
        RuntimeCheck.Report(RuntimeViolationKind.DmaLeak, "second");
        var ex = Assert.Throws<RuntimeCheckException>(RuntimeCheck.AssertClean);
        Assert.Contains("first", ex.Message);
        Assert.Contains("second", ex.Message);
        RuntimeCheck.Reset();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void CompletionWakesAWaiterFromAnotherThreadAndFromAnIrq()
    {
        var done = new Completion();
        Assert.False(done.WaitTimeout(10));
        var completer = new System.Threading.Thread(done.Complete);
        completer.Start();
        Assert.True(done.WaitTimeout(10_000));
        Assert.True(completer.Join(TimeSpan.FromSeconds(10)));

        var irqs = new IrqController("completion");
        irqs.RequestIrq(3, (irq, dev) =>
        {
            ((Completion)dev!).Complete();
            return IrqReturn.Handled;
        }, done);
        irqs.Raise(3);
        Assert.True(done.TryWait());
        Assert.Equal(1, irqs.GetLine(3)!.HandledCount);
        irqs.FreeIrq(3, done);
        irqs.Destroy();

        done.CompleteAll();
        done.Wait();
        done.Wait();
        done.Reinit();
        Assert.False(done.IsDone);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void ThreadedIrqRunsItsThreadInProcessContext()
    {
        var irqs = new IrqController("threaded");
        var inAtomic = true;
        var ran = new Completion();
        Assert.Equal(0, irqs.RequestThreadedIrq(
            9,
            (irq, dev) => RuntimeCheck.InHardIrq ? IrqReturn.WakeThread : IrqReturn.None,
            (irq, dev) =>
            {
                Sched.Msleep(1);
                inAtomic = RuntimeCheck.InAtomic;
                ran.Complete();
                return IrqReturn.Handled;
            },
            null));
        Assert.Equal(-Errno.EBUSY, irqs.RequestIrq(9, (irq, dev) => IrqReturn.None, null));
        irqs.Raise(9);
        Assert.True(ran.WaitTimeout(10_000));
        Assert.False(inAtomic);
        irqs.FreeIrq(9, null);
        irqs.Destroy();
        RuntimeCheck.AssertClean();
    }
}
