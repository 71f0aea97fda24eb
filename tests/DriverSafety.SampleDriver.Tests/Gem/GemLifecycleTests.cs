using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;
using DriverSafety.SampleDriver.Vgem;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Gem;

[Collection("RuntimeCheck")]
public sealed class GemLifecycleTests : RuntimeCheckTest
{
    internal static void WriteLocked(GemObject obj, long offset, byte[] data)
    {
        using var guard = obj.Resv.LockScoped();
        var map = obj.Vmap();
        Assert.NotNull(map);
        map!.Write(offset, data);
        obj.Vunmap(map);
    }

    internal static byte[] ReadLocked(GemObject obj, long offset, int length)
    {
        var data = new byte[length];
        using var guard = obj.Resv.LockScoped();
        var map = obj.Vmap();
        Assert.NotNull(map);
        map!.Read(offset, data);
        obj.Vunmap(map);
        return data;
    }

    [Fact]
    public void VmapBothFlavoursShareThePagesAndTheOneDmaMapping()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        Assert.Equal(0, gpu.Vgem.CreateDumb(file, 64, 64, 32, out var handle, out var size));
        Assert.Equal(4 * Page.Size, size);
        var obj = file.Gem.Lookup(handle)!;

        var data = Bytes.Pattern(3 * Page.Size + 100, 5);
        WriteLocked(obj, 50, data);
        using (obj.Resv.LockScoped())
        {
            Assert.Equal(0, obj.PagesUseCount);
            Assert.False(obj.HasPages);
        }

        Assert.Equal(0, obj.Pin());
        var pinnedMap = obj.VmapPinned();
        Assert.NotNull(pinnedMap);
        var back = new byte[data.Length];
        pinnedMap!.Read(50, back);
        Assert.Equal(data, back);
        pinnedMap.Write(0, data.AsSpan(0, 10));
        using (obj.Resv.LockScoped())
        {
            Assert.True(obj.HasDmaMapping);
            Assert.Equal(1, obj.VmapUseCount);
            var locked = obj.Vmap();
            Assert.Same(pinnedMap, locked);
            obj.Vunmap(locked!);
        }

        Assert.Equal(1, gpu.LeakedMappings);
        obj.VunmapPinned(pinnedMap);
        obj.Unpin();
        Assert.Equal(0, gpu.LeakedMappings);

        obj.Put();
        Assert.Equal(0, file.Gem.HandleDelete(handle));
        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void BindingToSeveralAddressSpacesMapsTheObjectOnce()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        var vms = new[] { gpu.NewVm("vm0"), gpu.NewVm("vm1"), gpu.NewVm("vm2") };
        Assert.Equal(0, gpu.Vgem.CreateDumb(file, 1024, 4, 32, out var handle, out _));
        var obj = file.Gem.Lookup(handle)!;
        var data = Bytes.Pattern(2 * Page.Size, 9);

        var addresses = new ulong[vms.Length];
        for (var i = 0; i < vms.Length; i++)
        {
            Assert.Equal(0, gpu.Vgem.Bind(file, handle, vms[i], out addresses[i]));
            Assert.Equal(1, gpu.LeakedMappings);
        }

        Assert.Equal(-Errno.EEXIST, gpu.Vgem.Bind(file, handle, vms[1], out _));
        WriteLocked(obj, 0, data);
        for (var i = 0; i < vms.Length; i++)
        {
            Assert.Equal(data, Bytes.GpuRead(vms[i], gpu.DmaDev, addresses[i], data.Length));
        }

        using (obj.Resv.LockScoped())
        {
            Assert.Equal(3, obj.Vmas.Count);
            Assert.Equal(3, obj.PagesUseCount);
        }

        for (var i = 0; i < vms.Length; i++)
        {
            Assert.Equal(0, gpu.Vgem.Unbind(file, handle, vms[i]));
        }

        Assert.Equal(0, gpu.LeakedMappings);
        Assert.Null(vms[0].Translate(addresses[0]));
        obj.Put();
        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void NativeMmapFaultsInTheObjectPages()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        Assert.Equal(0, gpu.Vgem.CreateDumb(file, 1024, 2, 32, out var handle, out var size));
        Assert.Equal(0, gpu.Vgem.DumbMapOffset(file, handle, out var offset));
        var mm = new MmStruct("proc");
        var addr = gpu.Vgem.Mmap(mm, file, offset, (ulong)size);
        Assert.True(addr > 0, $"mmap failed: {addr}");
        var vma = mm.Vmas.Single();
        Assert.Same(file.File, vma.VmFile);
        Assert.Equal(0UL, vma.VmPgoff);

        var data = Bytes.Pattern((int)size, 3);
        Assert.True(mm.CopyToUser((ulong)addr, data));
        var obj = file.Gem.Lookup(handle)!;
        Assert.Equal(data, ReadLocked(obj, 0, data.Length));
        obj.Put();

        Assert.Equal(0, mm.Munmap((ulong)addr, (ulong)size));
        mm.Exit();
        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void FencesAttachedThroughOneFileAreWaitedForAndSubmitLocksEveryObject()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        var handles = new int[4];
        for (var i = 0; i < handles.Length; i++)
        {
            Assert.Equal(0, gpu.Vgem.CreateDumb(file, 1024, 1, 32, out handles[i], out _));
        }

        Assert.Equal(0, gpu.Vgem.FenceAttach(file, handles[0], write: true, out var fence0));
        Assert.Equal(0, gpu.Vgem.Submit(file, handles, write: false, out var fence1));
        var obj = file.Gem.Lookup(handles[0])!;
        Assert.False(obj.Resv.TestSignaled(DmaResvUsage.Read));
        Assert.Equal(0L, obj.Resv.WaitTimeout(DmaResvUsage.Write, intr: false, timeoutMs: 20));

        Assert.Equal(0, gpu.Vgem.FenceSignal(file, fence0));
        Assert.True(obj.Resv.WaitTimeout(DmaResvUsage.Write, intr: false, timeoutMs: 1000) > 0);
        Assert.False(obj.Resv.TestSignaled(DmaResvUsage.Read));
        Assert.Equal(0, gpu.Vgem.FenceSignal(file, fence1));
        Assert.True(obj.Resv.WaitTimeout(DmaResvUsage.Bookkeep, intr: false, timeoutMs: 1000) > 0);
        Assert.Equal(-Errno.EINVAL, gpu.Vgem.FenceSignal(file, fence1));
        obj.Put();

        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void ShrinkerPurgesOnlyObjectsMarkedDontNeed()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        var vm = gpu.NewVm("vm");
        Assert.Equal(0, gpu.Vgem.CreateDumb(file, 1024, 8, 32, out var keep, out _));
        Assert.Equal(0, gpu.Vgem.CreateDumb(file, 1024, 8, 32, out var purge, out _));
        Assert.Equal(0, gpu.Vgem.Bind(file, keep, vm, out _));
        Assert.Equal(0, gpu.Vgem.Bind(file, purge, vm, out _));
        Assert.Equal(2, gpu.LeakedMappings);
        Assert.Equal(0, gpu.Vgem.Madvise(file, purge, GemMadvise.DontNeed, out var retained));
        Assert.True(retained);
        Assert.Equal(8, gpu.Vgem.Lru.CountPages());

        Reclaim.Run(Gfp.Kernel, 64);

        Assert.Equal(1, gpu.Vgem.Shrinker.Purged);
        Assert.Equal(1, vm.BoundCount());
        Assert.Equal(1, gpu.LeakedMappings);
        Assert.Equal(0, gpu.Vgem.Madvise(file, purge, GemMadvise.WillNeed, out retained));
        Assert.False(retained);
        Assert.Equal(-Errno.EFAULT, gpu.Vgem.Bind(file, purge, vm, out _));
        Assert.Equal(0, gpu.Vgem.Unbind(file, keep, vm));

        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void UserptrInvalidationUnbindsAndUnpinsThroughTheMmuNotifier()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        var vm = gpu.NewVm("vm");
        var mm = new MmStruct("proc");
        const int len = 3 * Page.Size;
        var addr = (ulong)mm.Mmap(null, len, 0, VmFlags.Read | VmFlags.Write);
        var data = Bytes.Pattern(len, 11);
        Assert.True(mm.CopyToUser(addr, data));

        Assert.Equal(0, gpu.Vgem.Userptr(file, mm, addr, len, out var handle));
        Assert.Equal(0, gpu.Vgem.Bind(file, handle, vm, out var gpuAddr));
        Assert.Equal(data, Bytes.GpuRead(vm, gpu.DmaDev, gpuAddr, len));
        Assert.Equal(1, gpu.LeakedMappings);
        var obj = (VgemUserptrObject)file.Gem.Lookup(handle)!;
        var page = mm.LookupPte(addr)!;
        Assert.True(page.MaybeDmaPinned);

        Assert.Equal(0, mm.Munmap(addr, len));

        Assert.Equal(1, obj.DirectInvalidations);
        Assert.Equal(0, vm.BoundCount());
        Assert.Equal(0, gpu.LeakedMappings);
        Assert.False(page.MaybeDmaPinned);
        Assert.Equal(-Errno.EFAULT, gpu.Vgem.Bind(file, handle, vm, out _));
        obj.Put();

        gpu.Close(file);
        mm.Exit();
        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void UserptrInvalidationDefersToTheWorkerWhenTheReservationIsBusy()
    {
        var gpu = new SimGpu("a");
        var file = gpu.Open("f");
        var vm = gpu.NewVm("vm");
        var mm = new MmStruct("proc");
        const int len = 2 * Page.Size;
        var addr = (ulong)mm.Mmap(null, len, 0, VmFlags.Read | VmFlags.Write);
        Assert.True(mm.CopyToUser(addr, Bytes.Pattern(len, 1)));
        Assert.Equal(0, gpu.Vgem.Userptr(file, mm, addr, len, out var handle));
        Assert.Equal(0, gpu.Vgem.Bind(file, handle, vm, out _));
        var obj = (VgemUserptrObject)file.Gem.Lookup(handle)!;

        using (var held = new System.Threading.ManualResetEventSlim())
        using (var release = new System.Threading.ManualResetEventSlim())
        {
            var holder = new System.Threading.Thread(() =>
            {
                using (obj.Resv.LockScoped())
                {
                    held.Set();
                    release.Wait(TimeSpan.FromSeconds(10));
                }
            });
            holder.Start();
            Assert.True(held.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal(0, mm.InvalidateRange(addr, addr + len));
            Assert.Equal(1, obj.DeferredInvalidations);
            release.Set();
            Assert.True(holder.Join(TimeSpan.FromSeconds(10)));
        }

        gpu.Vgem.FlushFrees();
        Assert.Equal(0, vm.BoundCount());
        Assert.Equal(0, gpu.LeakedMappings);
        obj.Put();

        gpu.Close(file);
        mm.Exit();
        gpu.Teardown();
        RuntimeCheck.AssertClean();
    }
}
