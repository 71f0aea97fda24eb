using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Gem;

[Collection("RuntimeCheck")]
public sealed class ConcurrentGemTests : RuntimeCheckTest
{
    private const int Threads = 4;
    private const int Iterations = 200;

    [Fact]
    public void SeveralThreadsCreateShareBindMapAndFreeWithoutViolations()
    {
        var a = new SimGpu("a");
        var b = new SimGpu("b");
        var vmsA = new[] { a.NewVm("a0"), a.NewVm("a1") };
        var vmB = b.NewVm("b0");
        var shared = a.Open("shared");
        Assert.Equal(0, a.Vgem.CreateDumb(shared, 1024, 2, 32, out var sharedHandle, out _));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var threads = Enumerable.Range(0, Threads).Select(t => new System.Threading.Thread(() =>
        {
            try
            {
                Worker(t, a, b, vmsA, vmB, shared, sharedHandle, failures);
            }
            catch (Exception ex)
            {
                failures.Enqueue($"thread {t}: {ex}");
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(120)), "worker did not finish in time");
        }

        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
        b.Teardown();
        a.Teardown();
        RuntimeCheck.AssertClean();
    }

    private static void Worker(int t, SimGpu a, SimGpu b, AddressSpace[] vmsA, AddressSpace vmB, Vgem.VgemFile shared, int sharedHandle, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        var fa = a.Open("fa" + t);
        var fb = b.Open("fb" + t);
        var mm = new MmStruct("proc" + t);
        var sharedObj = shared.Gem.Lookup(sharedHandle)!;
        Assert.Equal(0, fa.Gem.HandleCreate(sharedObj, out var sharedInFa));
        sharedObj.Put();
        for (var i = 0; i < Iterations; i++)
        {
            void Check(int ret, string what)
            {
                if (ret != 0)
                {
                    failures.Enqueue($"thread {t} iteration {i}: {what} returned {ret}");
                }
            }

            Check(a.Vgem.CreateDumb(fa, 1024, 1 + (i % 3), 32, out var h, out var size), "create");
            var obj = fa.Gem.Lookup(h)!;
            var data = Bytes.Pattern((int)size, t * 31 + i);
            GemLifecycleTests.WriteLocked(obj, 0, data);

            // Bind to both address spaces of A (one DMA mapping), and lock it together with the shared object.
            Check(a.Vgem.Bind(fa, h, vmsA[0], out var va0), "bind a0");
            Check(a.Vgem.Bind(fa, h, vmsA[1], out _), "bind a1");
            if (!Bytes.GpuRead(vmsA[0], a.DmaDev, va0, data.Length).AsSpan().SequenceEqual(data))
            {
                failures.Enqueue($"thread {t} iteration {i}: GPU read mismatch");
            }

            Check(a.Vgem.Submit(fa, new[] { h }, write: true, out var fence), "submit");
            Check(a.Vgem.FenceSignal(fa, fence), "signal");

            // Export to B, bind there, evict on A (move_notify), unbind.
            Check(a.Vgem.PrimeHandleToFd(fa, h, out var dmabuf), "export");
            Check(b.Vgem.PrimeFdToHandle(fb, dmabuf!, out var hb), "import");
            Check(b.Vgem.Bind(fb, hb, vmB, out _), "bind b");
            if (i % 4 == 0)
            {
                Check(a.Vgem.Unbind(fa, h, vmsA[0]), "unbind a0");
                Check(a.Vgem.Unbind(fa, h, vmsA[1]), "unbind a1");
                Check(a.Vgem.Evict(fa, h), "evict");
            }

            // mmap the imported handle (forwarded to A) and write through it.
            if (i % 8 == 0)
            {
                Check(b.Vgem.DumbMapOffset(fb, hb, out var offset), "map offset");
                var addr = b.Vgem.Mmap(mm, fb, offset, (ulong)size);
                if (addr <= 0 || !mm.CopyToUser((ulong)addr, data))
                {
                    failures.Enqueue($"thread {t} iteration {i}: mmap of the import failed ({addr})");
                }
                else
                {
                    Check(mm.Munmap((ulong)addr, (ulong)size), "munmap");
                }
            }

            if (i % 4 != 0)
            {
                Check(a.Vgem.Unbind(fa, h, vmsA[0]), "unbind a0");
                Check(a.Vgem.Unbind(fa, h, vmsA[1]), "unbind a1");
            }

            // After the eviction the importer was already unbound by move_notify.
            var unbindB = b.Vgem.Unbind(fb, hb, vmB);
            Check(i % 4 == 0 && unbindB == -Errno.EINVAL ? 0 : unbindB, "unbind b");
            Check(a.Vgem.Submit(fa, new[] { h, sharedInFa }, write: false, out var fence2), "submit shared");
            Check(a.Vgem.FenceSignal(fa, fence2), "signal shared");
            dmabuf!.Put();
            Check(fb.Gem.HandleDelete(hb), "close b");
            obj.Put();
            Check(fa.Gem.HandleDelete(h), "close a");
        }

        mm.Exit();
        b.Close(fb);
        a.Close(fa);
    }
}
