using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Vgem;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Gem;

/// <summary>One simulated GPU: its IOMMU, DMA device, vgem device and an address space per use.</summary>
internal sealed class SimGpu
{
    private readonly int _baselineMappings;
    private readonly List<AddressSpace> _vms = new();
    private readonly List<VgemFile> _files = new();

    public SimGpu(string name)
    {
        Iommu = new Iommu("iommu-" + name, iovaPages: 1 << 16);
        DmaDev = new Device(name, Iommu);
        Vgem = VgemDevice.Create(name, DmaDev);
        _baselineMappings = Iommu.MappedCount;
    }

    public Iommu Iommu { get; }

    public Device DmaDev { get; }

    public VgemDevice Vgem { get; }

    public AddressSpace NewVm(string name)
    {
        var vm = new AddressSpace(Vgem, name, 64UL << 20);
        lock (_vms)
        {
            _vms.Add(vm);
        }

        return vm;
    }

    public VgemFile Open(string name)
    {
        var file = Vgem.Open(name);
        lock (_files)
        {
            _files.Add(file);
        }

        return file;
    }

    public void Close(VgemFile file)
    {
        lock (_files)
        {
            _files.Remove(file);
        }

        Vgem.Close(file);
    }

    public int LeakedMappings => Iommu.MappedCount - _baselineMappings;

    /// <summary>Closes what is still open and checks that nothing leaked.</summary>
    public void Teardown()
    {
        foreach (var file in _files.ToArray())
        {
            Close(file);
        }

        Vgem.FlushFrees();
        foreach (var vm in _vms)
        {
            Assert.Equal(0, vm.BoundCount());
            Assert.Equal(0, vm.Close());
        }

        Vgem.Teardown();
        Assert.True(Vgem.Warnings.Count == 0, string.Join(" | ", Vgem.Warnings));
        Assert.Equal(0, Vgem.ObjectCount);
        Assert.Equal(0, LeakedMappings);
    }
}

internal static class Bytes
{
    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(seed + i * 7);
        }

        return data;
    }

    /// <summary>Device-side read through the GPU page tables and the IOMMU: what the GPU would see at <paramref name="gpuAddress"/>.</summary>
    public static byte[] GpuRead(AddressSpace vm, Device dev, ulong gpuAddress, int length)
    {
        var result = new byte[length];
        var done = 0;
        while (done < length)
        {
            var va = gpuAddress + (ulong)done;
            var dma = vm.Translate(va);
            Assert.True(dma.HasValue, $"GPU address 0x{va:x} is not mapped");
            var chunk = Math.Min(Page.Size - (int)(va & (Page.Size - 1)), length - done);
            Assert.True(dev.DmaRead(new DmaAddr(dma!.Value), result.AsSpan(done, chunk)), $"IOMMU fault reading 0x{dma.Value:x}");
            done += chunk;
        }

        return result;
    }
}
