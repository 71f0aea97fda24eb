namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// Kernel error numbers. Functions return them negated (<c>-Errno.ENOMEM</c>) like the kernel does; zero is success.
/// </summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EDEADLK = 35;
    public const int EALREADY = 114;

    /// <summary>The kernel's <c>IS_ERR_VALUE</c> for an int result: a negative errno.</summary>
    public static bool IsError(int ret) => ret < 0;
}
