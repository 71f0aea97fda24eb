using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary><c>struct file_operations</c>: the hooks a driver gives its files.</summary>
public abstract class FileOperations
{
    /// <summary><c>f_op->mmap</c>: called by <see cref="MmStruct.Mmap"/> with <c>mmap_lock</c> held for write; sets up <paramref name="vma"/>.</summary>
    [Requires("vma.Mm.MmapLock")]
    public virtual int Mmap(File file, Vma vma) => -Errno.ENODEV;

    /// <summary><c>f_op->release</c>: the last reference is gone.</summary>
    public virtual void Release(File file)
    {
    }
}

/// <summary>
/// <c>struct file</c>: reference counted (<c>get_file</c>/<c>fput</c>). A VMA holds a reference to its file for its whole
/// life, which is why <see cref="Vma.VmFile"/> must never be reassigned (seed 001).
/// </summary>
public sealed class File
{
    private long _count = 1;

    public File(string name, FileOperations? fops = null, object? privateData = null)
    {
        Name = name;
        Fops = fops;
        PrivateData = privateData;
    }

    public string Name { get; }

    /// <summary><c>f_op</c>.</summary>
    public FileOperations? Fops { get; }

    /// <summary><c>private_data</c>.</summary>
    public object? PrivateData { get; set; }

    /// <summary><c>file_count</c>.</summary>
    public long Count => System.Threading.Interlocked.Read(ref _count);

    /// <summary>Whether the last reference was dropped.</summary>
    public bool IsReleased => Count <= 0;

    /// <summary><c>get_file</c>.</summary>
    public File Get()
    {
        if (System.Threading.Interlocked.Increment(ref _count) <= 1)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"get_file on released file {Name}");
        }

        return this;
    }

    /// <summary>
    /// <c>fput</c>: the last reference runs <see cref="FileOperations.Release"/>, inline in process context or, from
    /// atomic context, deferred to a work item (<c>delayed_fput</c>).
    /// </summary>
    public void Put()
    {
        var count = System.Threading.Interlocked.Decrement(ref _count);
        if (count < 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RefcountUnderflow, $"fput on released file {Name} (count {count})");
            return;
        }

        if (count != 0 || Fops is null)
        {
            return;
        }

        if (RuntimeCheck.InAtomic)
        {
            WorkQueue.System.Queue(new Work(() => Fops.Release(this), "delayed_fput"));
        }
        else
        {
            Fops.Release(this);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"file {Name}";
}
