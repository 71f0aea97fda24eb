using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Kernel;

[Collection("RuntimeCheck")]
public sealed class WwMutexTests : RuntimeCheckTest
{
    /// <summary>The canonical acquire loop: on -EDEADLK drop everything, sleep on the contended lock, retry.</summary>
    private static int LockAll(WwAcquireContext ctx, WwMutex[] locks, System.Threading.Barrier? meet)
    {
        var backoffs = 0;
        WwMutex? contended = null;
        var held = new List<WwMutex>();
        while (true)
        {
            var failed = false;
            foreach (var m in locks)
            {
                if (ReferenceEquals(m, contended))
                {
                    continue;
                }

                var ret = m.Lock(ctx);
                if (ret == -Errno.EDEADLK)
                {
                    backoffs++;
                    foreach (var h in held)
                    {
                        h.Unlock();
                    }

                    held.Clear();
                    m.LockSlow(ctx);
                    held.Add(m);
                    contended = m;
                    failed = true;
                    break;
                }

                Assert.Equal(0, ret);
                held.Add(m);
                if (meet is not null && held.Count == 1)
                {
                    Assert.True(meet.SignalAndWait(TimeSpan.FromSeconds(10)));
                    meet = null;
                }
            }

            if (!failed)
            {
                break;
            }
        }

        ctx.Done();
        foreach (var h in held)
        {
            h.Unlock();
        }

        ctx.Fini();
        return backoffs;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoContextsInOppositeOrderBackOffInsteadOfDeadlocking(bool waitDie)
    {
        var cls = new WwClass("WwMutexTests.Resv", waitDie);
        var a = new WwMutex(cls, "a");
        var b = new WwMutex(cls, "b");
        var meet = new System.Threading.Barrier(2);
        var backoffs = new int[2];

        var olderThread = new System.Threading.Thread(() => backoffs[0] = LockAll(new WwAcquireContext(cls), new[] { a, b }, meet));
        var youngerThread = new System.Threading.Thread(() => backoffs[1] = LockAll(new WwAcquireContext(cls), new[] { b, a }, meet));
        olderThread.Start();
        System.Threading.Thread.Sleep(20);
        youngerThread.Start();
        Assert.True(olderThread.Join(TimeSpan.FromSeconds(10)));
        Assert.True(youngerThread.Join(TimeSpan.FromSeconds(10)));

        Assert.True(backoffs[0] + backoffs[1] >= 1, "one context had to back off");
        Assert.False(a.IsLocked);
        Assert.False(b.IsLocked);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SameContextTwiceIsEalready()
    {
        var cls = new WwClass("WwMutexTests.Again");
        var m = new WwMutex(cls, "m");
        var ctx = new WwAcquireContext(cls);
        Assert.Equal(0, m.Lock(ctx));
        Assert.Equal(-Errno.EALREADY, m.Lock(ctx));
        Assert.Same(ctx, m.HolderContext);
        m.Unlock();
        ctx.Fini();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void NestingOneClassWithoutContextIsReported()
    {
        var cls = new WwClass("WwMutexTests.NoCtx");
        var a = new WwMutex(cls, "a");
        var b = new WwMutex(cls, "b");
        Assert.Equal(0, a.Lock(null));
        Assert.Equal(0, b.Lock(null));
        b.Unlock();
        a.Unlock();
        ExpectOnly(RuntimeViolationKind.NestedSameClass);
    }

    [Fact]
    public void FiniWithLocksHeldIsReported()
    {
        var cls = new WwClass("WwMutexTests.Fini");
        var m = new WwMutex(cls, "m");
        var ctx = new WwAcquireContext(cls);
        Assert.Equal(0, m.Lock(ctx));
        ctx.Fini();
        m.Unlock();
        ExpectOnly(RuntimeViolationKind.WwContextMisuse);
    }
}
