using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>struct drm_file</c>, the GEM half: the handle table (an idr under a spinlock, as <c>file_priv->table_lock</c>)
/// and the PRIME cache of imported and exported dma-bufs (<c>file_priv->prime.lock</c>).
/// </summary>
public sealed class GemFile
{
    [GuardedBy("TableLock")]
    private readonly Dictionary<int, GemObject> _handles = new();

    [GuardedBy("TableLock")]
    private int _nextHandle = 1;

    [GuardedBy("PrimeLock")]
    private readonly Dictionary<DmaBuf.DmaBuf, int> _primeHandles = new(ReferenceEqualityComparer.Instance);

    public GemFile(GemDevice dev, File file)
    {
        Dev = dev;
        File = file;
    }

    /// <summary>The device this file was opened on.</summary>
    public GemDevice Dev { get; }

    /// <summary>The open file (the drm fd); CPU mappings of its objects have it as their <c>vm_file</c>.</summary>
    public File File { get; }

    /// <summary><c>file_priv->table_lock</c>: protects the handle idr.</summary>
    [AcquiredAfter("GemFile.PrimeLock")]
    public SpinLock TableLock { get; } = new("GemFile.TableLock");

    /// <summary><c>file_priv->prime.lock</c>: protects the dma-buf to handle cache; taken before the device's name lock.</summary>
    [AcquiredBefore("GemDevice.ObjectNameLock")]
    public Mutex PrimeLock { get; } = new("GemFile.PrimeLock");

    /// <summary>Number of open handles.</summary>
    [Excludes("TableLock")]
    public int HandleCount()
    {
        TableLock.Lock();
        var count = _handles.Count;
        TableLock.Unlock();
        return count;
    }

    /// <summary>
    /// <c>drm_gem_handle_create</c>: a new handle naming <paramref name="obj"/>; the handle holds its own reference.
    /// </summary>
    [MightSleep]
    [Excludes("TableLock")]
    public int HandleCreate(GemObject obj, out int handle)
    {
        obj.Dev.ObjectNameLock.Lock();
        obj.HandleCount++;
        obj.Dev.ObjectNameLock.Unlock();
        obj.Get();
        TableLock.Lock();
        handle = _nextHandle++;
        _handles.Add(handle, obj);
        TableLock.Unlock();
        return 0;
    }

    /// <summary><c>drm_gem_object_lookup</c>: the object named by <paramref name="handle"/> with a new reference, or null.</summary>
    [Excludes("TableLock")]
    public GemObject? Lookup(int handle)
    {
        TableLock.Lock();
        if (_handles.TryGetValue(handle, out var obj))
        {
            obj.Get();
        }

        TableLock.Unlock();
        return obj;
    }

    /// <summary>
    /// <c>drm_gem_handle_delete</c>: removes the handle, forgets it in the PRIME cache and drops the handle's
    /// reference (which may free the object, so no lock may be held).
    /// </summary>
    [MightSleep]
    [Excludes("TableLock", "PrimeLock")]
    public int HandleDelete(int handle)
    {
        TableLock.Lock();
        var found = _handles.Remove(handle, out var obj);
        TableLock.Unlock();
        if (!found || obj is null)
        {
            return -Errno.EINVAL;
        }

        ReleaseHandle(obj, handle);
        return 0;
    }

    /// <summary>The handle this file already has for <paramref name="buf"/> (<c>drm_prime_lookup_buf_handle</c>).</summary>
    [Requires("PrimeLock")]
    public bool PrimeLookupLocked(DmaBuf.DmaBuf buf, out int handle) => _primeHandles.TryGetValue(buf, out handle);

    /// <summary><c>drm_prime_add_buf_handle</c>: remembers that <paramref name="handle"/> names <paramref name="buf"/>.</summary>
    [Requires("PrimeLock")]
    public void PrimeAddLocked(DmaBuf.DmaBuf buf, int handle)
    {
        buf.Get();
        _primeHandles[buf] = handle;
    }

    /// <summary><c>drm_gem_release</c>: closes every handle when the file is closed.</summary>
    [MightSleep]
    [Excludes("TableLock", "PrimeLock")]
    public void Release()
    {
        while (true)
        {
            TableLock.Lock();
            var first = _handles.Count == 0 ? (KeyValuePair<int, GemObject>?)null : _handles.First();
            if (first is { } entry)
            {
                _handles.Remove(entry.Key);
            }

            TableLock.Unlock();
            if (first is null)
            {
                return;
            }

            ReleaseHandle(first.Value.Value, first.Value.Key);
        }
    }

    [MightSleep]
    [Excludes("TableLock", "PrimeLock")]
    private void ReleaseHandle(GemObject obj, int handle)
    {
        DmaBuf.DmaBuf? forgotten = null;
        PrimeLock.Lock();
        foreach (var pair in _primeHandles)
        {
            if (pair.Value == handle)
            {
                forgotten = pair.Key;
                break;
            }
        }

        if (forgotten is not null)
        {
            _primeHandles.Remove(forgotten);
        }

        PrimeLock.Unlock();
        forgotten?.Put();

        // drm_gem_object_handle_put_unlocked: the last handle drops the export cache's dma-buf reference.
        DmaBuf.DmaBuf? exported = null;
        obj.Dev.ObjectNameLock.Lock();
        if (--obj.HandleCount == 0 && obj.ExportedDmaBuf is { } cached)
        {
            obj.ExportedDmaBuf = null;
            exported = cached;
        }

        obj.Dev.ObjectNameLock.Unlock();
        exported?.Put();
        obj.Put();
    }
}
