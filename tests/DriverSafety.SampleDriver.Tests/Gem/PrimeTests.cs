using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Gem;

[Collection("RuntimeCheck")]
public sealed class PrimeTests : RuntimeCheckTest
{
    [Fact]
    public void ImportedObjectIsMappedForTheImporterAndDropsItOnMoveNotify()
    {
        var a = new SimGpu("a");
        var b = new SimGpu("b");
        var fa = a.Open("fa");
        var fb = b.Open("fb");
        var vm = b.NewVm("vm-b");
        Assert.Equal(0, a.Vgem.CreateDumb(fa, 1024, 3, 32, out var ha, out var size));
        var exported = fa.Gem.Lookup(ha)!;
        var data = Bytes.Pattern((int)size, 21);
        GemLifecycleTests.WriteLocked(exported, 0, data);

        Assert.Equal(0, a.Vgem.PrimeHandleToFd(fa, ha, out var dmabuf));
        Assert.Equal(0, b.Vgem.PrimeFdToHandle(fb, dmabuf!, out var hb));
        Assert.Equal(0, b.Vgem.PrimeFdToHandle(fb, dmabuf!, out var hbAgain));
        Assert.Equal(hb, hbAgain);
        var imported = fb.Gem.Lookup(hb)!;
        Assert.NotNull(imported.ImportAttach);
        Assert.Same(exported.Resv, imported.Resv);

        Assert.Equal(0, b.Vgem.Bind(fb, hb, vm, out var gpuAddr));
        Assert.Equal(1, b.LeakedMappings);
        Assert.Equal(data, Bytes.GpuRead(vm, b.DmaDev, gpuAddr, data.Length));

        // The exporter moves the buffer: the dynamic importer unbinds and unmaps under the shared reservation.
        Assert.Equal(0, a.Vgem.Evict(fa, ha));
        Assert.Equal(0, vm.BoundCount());
        Assert.Equal(0, b.LeakedMappings);
        Assert.Equal(0, a.LeakedMappings);

        // Next use maps again; the contents survived the move.
        Assert.Equal(0, b.Vgem.Bind(fb, hb, vm, out gpuAddr));
        Assert.Equal(data, Bytes.GpuRead(vm, b.DmaDev, gpuAddr, data.Length));
        Assert.Equal(0, b.Vgem.Unbind(fb, hb, vm));

        // Re-export of the imported handle gives back the original dma-buf.
        Assert.Equal(0, b.Vgem.PrimeHandleToFd(fb, hb, out var again));
        Assert.Same(dmabuf, again);
        again!.Put();

        imported.Put();
        exported.Put();
        dmabuf!.Put();
        b.Close(fb);
        a.Close(fa);
        b.Teardown();
        a.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void SelfImportReturnsTheNativeObject()
    {
        var a = new SimGpu("a");
        var f1 = a.Open("f1");
        var f2 = a.Open("f2");
        Assert.Equal(0, a.Vgem.CreateDumb(f1, 1024, 1, 32, out var h1, out _));
        Assert.Equal(0, a.Vgem.PrimeHandleToFd(f1, h1, out var dmabuf));
        Assert.Equal(0, a.Vgem.PrimeFdToHandle(f2, dmabuf!, out var h2));
        var o1 = f1.Gem.Lookup(h1)!;
        var o2 = f2.Gem.Lookup(h2)!;
        Assert.Same(o1, o2);
        Assert.Null(o2.ImportAttach);
        o1.Put();
        o2.Put();
        dmabuf!.Put();
        a.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void MmapOfAnImportedHandleIsForwardedWithoutReassigningVmFile()
    {
        var a = new SimGpu("a");
        var b = new SimGpu("b");
        var fa = a.Open("fa");
        var fb = b.Open("fb");
        Assert.Equal(0, a.Vgem.CreateDumb(fa, 1024, 2, 32, out var ha, out var size));
        Assert.Equal(0, a.Vgem.PrimeHandleToFd(fa, ha, out var dmabuf));
        Assert.Equal(0, b.Vgem.PrimeFdToHandle(fb, dmabuf!, out var hb));
        Assert.Equal(0, b.Vgem.DumbMapOffset(fb, hb, out var offset));

        var mm = new MmStruct("proc");
        var addr = b.Vgem.Mmap(mm, fb, offset, (ulong)size);
        Assert.True(addr > 0, $"mmap failed: {addr}");
        var vma = mm.Vmas.Single();
        Assert.Same(fb.File, vma.VmFile);
        Assert.Equal(0UL, vma.VmPgoff);

        var data = Bytes.Pattern((int)size, 77);
        Assert.True(mm.CopyToUser((ulong)addr, data));
        var exported = fa.Gem.Lookup(ha)!;
        Assert.Equal(data, GemLifecycleTests.ReadLocked(exported, 0, data.Length));

        // The dma-buf fd itself maps too, at offset 0 of the buffer.
        var addr2 = mm.Mmap(dmabuf!.File, (ulong)size, 0, VmFlags.Read | VmFlags.Write | VmFlags.Shared);
        Assert.True(addr2 > 0, $"dma-buf mmap failed: {addr2}");
        Assert.Same(dmabuf.File, mm.Vmas.Single(v => v.VmStart == (ulong)addr2).VmFile);

        // CPU access bracket of the exporter.
        Assert.Equal(0, dmabuf.BeginCpuAccess(DmaDataDirection.Bidirectional));
        Assert.Equal(0, dmabuf.EndCpuAccess(DmaDataDirection.Bidirectional));

        mm.Exit();
        exported.Put();
        dmabuf.Put();
        b.Close(fb);
        a.Close(fa);
        b.Teardown();
        a.Teardown();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void DmaBufVmapIsHeldUnderTheReservation()
    {
        var a = new SimGpu("a");
        var fa = a.Open("fa");
        Assert.Equal(0, a.Vgem.CreateDumb(fa, 1024, 1, 32, out var ha, out _));
        Assert.Equal(0, a.Vgem.PrimeHandleToFd(fa, ha, out var dmabuf));
        var data = Bytes.Pattern(64, 4);
        using (dmabuf!.Resv.LockScoped())
        {
            var map = dmabuf.Vmap();
            Assert.NotNull(map);
            map!.Write(8, data);
            dmabuf.Vunmap(map);
        }

        var obj = fa.Gem.Lookup(ha)!;
        Assert.Equal(data, GemLifecycleTests.ReadLocked(obj, 8, data.Length));
        obj.Put();
        dmabuf.Put();
        a.Teardown();
        RuntimeCheck.AssertClean();
    }
}
