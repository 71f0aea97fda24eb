using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Kernel;

[Collection("RuntimeCheck")]
public sealed class LockTests : RuntimeCheckTest
{
    [Fact]
    public void MutexExcludesOtherThreadsAndReleasesCleanly()
    {
        var m = new Mutex("LockTests.M");
        m.Lock();
        Assert.True(m.IsLocked);
        Assert.True(m.IsOwnedByCurrent);
        var otherGotIt = true;
        RunOnThread(() => otherGotIt = m.TryLock());
        Assert.False(otherGotIt);
        m.AssertHeld();
        m.Unlock();
        Assert.False(m.IsLocked);
        RunOnThread(() =>
        {
            otherGotIt = m.TryLock();
            m.Unlock();
        });
        Assert.True(otherGotIt);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void ScopedGuardUnlocksOnDispose()
    {
        var m = new Mutex("LockTests.Scoped");
        using (m.LockScoped())
        {
            Assert.True(m.IsOwnedByCurrent);
            Assert.Contains("LockTests.Scoped", RuntimeCheck.HeldLockClasses);
        }

        Assert.False(m.IsLocked);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void UnlockOfUnheldMutexIsReported()
    {
        var m = new Mutex("LockTests.Unheld");
        m.Unlock();
        Assert.Equal("LockTests.Unheld", Expect(RuntimeViolationKind.ReleaseNotHeld).LockClass);
        ExpectOnly(RuntimeViolationKind.ReleaseNotHeld);
    }

    [Fact]
    public void UnlockByAnotherThreadIsReportedAndDoesNotRelease()
    {
        var m = new Mutex("LockTests.Owner");
        m.Lock();
        RunOnThread(m.Unlock);
        Assert.True(m.IsOwnedByCurrent);
        m.Unlock();
        ExpectOnly(RuntimeViolationKind.ReleaseByNonOwner);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SleepingUnderSpinlockIsReported()
    {
        var s = new SpinLock("LockTests.Spin");
        s.Lock();
        Assert.True(RuntimeCheck.InAtomic);
        Sched.Msleep(0);
        s.Unlock();
        var v = Expect(RuntimeViolationKind.SleepInAtomic);
        Assert.Equal("LockTests.Spin", v.LockClass);
        Assert.Contains("sleeping function called from invalid context", v.Message);
        ExpectOnly(RuntimeViolationKind.SleepInAtomic);
        Assert.False(RuntimeCheck.InAtomic);
    }

    [Fact]
    public void MutexUnderSpinlockIsReported()
    {
        var s = new SpinLock("LockTests.Outer");
        var m = new Mutex("LockTests.Inner");
        var flags = s.LockIrqSave();
        Assert.True(Irq.Disabled);
        m.Lock();
        m.Unlock();
        s.UnlockIrqRestore(flags);
        Assert.False(Irq.Disabled);
        ExpectOnly(RuntimeViolationKind.SleepInAtomic);
    }

    [Fact]
    public void LockOrderInversionIsReported()
    {
        var a = new Mutex("LockTests.A");
        var b = new Mutex("LockTests.B");
        a.Lock();
        b.Lock();
        b.Unlock();
        a.Unlock();
        Assert.True(RuntimeCheck.HasOrder("LockTests.A", "LockTests.B"));
        RuntimeCheck.AssertClean();

        b.Lock();
        a.Lock();
        a.Unlock();
        b.Unlock();
        var v = Expect(RuntimeViolationKind.LockOrderInversion);
        Assert.Contains("LockTests.A -> LockTests.B", v.Message);
        ExpectOnly(RuntimeViolationKind.LockOrderInversion);
    }

    [Fact]
    public void TrylockAddsNoOrder()
    {
        var a = new Mutex("LockTests.TA");
        var b = new Mutex("LockTests.TB");
        a.Lock();
        b.Lock();
        b.Unlock();
        a.Unlock();
        b.Lock();
        Assert.True(a.TryLock());
        a.Unlock();
        b.Unlock();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void RecursiveLockingIsReportedInsteadOfDeadlocking()
    {
        var m = new Mutex("LockTests.Self");
        m.Lock();
        Assert.Throws<RuntimeCheckException>(m.Lock);
        m.Unlock();
        ExpectOnly(RuntimeViolationKind.RecursiveLocking);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void NestingOneClassNeedsASubclass()
    {
        var parent = new Mutex("LockTests.Node");
        var child = new Mutex("LockTests.Node");
        parent.Lock();
        child.Lock();
        child.Unlock();
        parent.Unlock();
        ExpectOnly(RuntimeViolationKind.NestedSameClass);

        parent.Lock();
        child.LockNested(1);
        child.Unlock();
        parent.Unlock();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void LockInterruptibleReturnsEintrWhenSignalled()
    {
        var m = new Mutex("LockTests.Intr");
        var ret = 1;
        m.Lock();
        RunOnThread(() =>
        {
            Sched.RaiseSignal();
            ret = m.LockInterruptible();
        });
        m.Unlock();
        Assert.Equal(-Errno.EINTR, ret);
        Assert.Equal(0, m.LockInterruptible());
        m.Unlock();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void RwSemaphoreSharesReadersAndExcludesWriters()
    {
        var sem = new RwSemaphore("LockTests.Rw");
        sem.DownRead();
        bool otherRead = false, otherWrite = true;
        RunOnThread(() =>
        {
            otherRead = sem.DownReadTrylock();
            if (otherRead)
            {
                sem.UpRead();
            }

            otherWrite = sem.DownWriteTrylock();
        });
        Assert.True(otherRead);
        Assert.False(otherWrite);
        sem.UpRead();
        sem.DownWrite();
        sem.AssertWriteHeld();
        RunOnThread(() => otherRead = sem.DownReadTrylock());
        Assert.False(otherRead);
        sem.UpWrite();
        Assert.False(sem.IsLocked);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SpinLockIsSafeAgainstItsIrqHandlerWithIrqSave()
    {
        var irqs = new IrqController("lock-tests");
        var s = new SpinLock("LockTests.IrqSafe");
        var hits = 0;
        Assert.Equal(0, irqs.RequestIrq(5, (irq, dev) =>
        {
            s.Lock();
            hits++;
            s.Unlock();
            return IrqReturn.Handled;
        }, null));

        var flags = s.LockIrqSave();
        irqs.Raise(5);
        Assert.Equal(0, hits);
        s.UnlockIrqRestore(flags);
        Assert.Equal(1, hits);
        Assert.True(irqs.FreeIrq(5, null));
        irqs.Destroy();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SpinLockTakenWithIrqsOnAndInHardirqIsReported()
    {
        var irqs = new IrqController("lock-tests-unsafe");
        var s = new SpinLock("LockTests.IrqUnsafe");
        irqs.RequestIrq(6, (irq, dev) =>
        {
            s.Lock();
            s.Unlock();
            return IrqReturn.Handled;
        }, null);
        irqs.Raise(6);
        s.Lock();
        s.Unlock();
        irqs.FreeIrq(6, null);
        irqs.Destroy();
        ExpectOnly(RuntimeViolationKind.IrqUnsafeLock);
    }
}
