using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// The analyzer reports nothing where the annotations are not referenced or not used, and never throws on
/// incomplete code (every test here also fails on any analyzer exception or AD0001).
/// </summary>
public sealed class SilenceAndIncompleteCodeTests
{
    [Fact]
    public Task CompilationWithoutTheAnnotations() => Verify.Analyzer("""
        using System;
        using System.Threading;

        public sealed class Mutex
        {
            public void Lock() { }
            public void Unlock() { }
        }

        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            private readonly object _sync = new object();
            private int _count;

            public void Leak() { _m.Lock(); _count++; }
            public void Stray() { _m.Unlock(); _m.Unlock(); }
            public void Enter() { Monitor.Enter(_sync); }
            public void Exit() { Monitor.Exit(_sync); }
        }
        """, new VerifyOptions { ReferenceAnnotations = false });

    [Fact]
    public Task CodeUsingNoAnnotatedApi() => Verify.Analyzer("""
        public sealed class Plain
        {
            private int _count;

            public int Work(int n, Func<int, int> f)
            {
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    switch (i % 3)
                    {
                        case 0: total += f(i); break;
                        case 1: continue;
                        default: goto done;
                    }
                }

            done:
                try
                {
                    _count++;
                    Action a = () => _count--;
                    a();
                }
                finally
                {
                    total++;
                }

                return Local(total);

                int Local(int x) => x + _count;
            }
        }
        """);

    [Fact]
    public Task MissingSemicolon() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            public void Start()
            {
                _m.Lock();
                _count++
                _m.Unlock();
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task MissingTypeUnrelatedToTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            public void Start(MissingType x)
            {
                _m.Lock();
                x.Go(_count);
                _m.Unlock();
            }

            public void Bad(MissingType x)
            {
                x.Go({|DRV1001:_count|});
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task UnresolvedMethodOnALock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lokc();
                _m.Unlokc(1, 2);
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task UnresolvedLockReceiver() => Verify.Analyzer("""
        public sealed class Dev
        {
            public void Start()
            {
                _missing.Lock();
                _missing.Unlock();
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    // A non-constant argument gives the attribute no value (silence); nameof of an unknown name still yields the
    // string "NoSuchMember", which names nothing: DRV9001 is the correct finding there.
    [Fact]
    public Task NonConstantAttributeArguments() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy(NoSuchConstant)] private int _count;
            [{|DRV9001:Requires(nameof(NoSuchMember))|}] public void Flush() { }

            public void Start() { _count++; Flush(); }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task EmptyLockStatement() => Verify.Analyzer("""
        public sealed class Dev
        {
            public void Start()
            {
                lock ()
                {
                }
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task UnterminatedMethod() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lock();
                _m.Unlock();
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task LockTypeWithoutMembersBody() => Verify.Analyzer("""
        [LockType(LockKind.Sleeping)]
        public sealed class Broken
        {
            [Acquires] public void Lock();
            [Releases] public void Unlock()
        }

        public sealed class User
        {
            private readonly Broken _b = new Broken();
            [GuardedBy("_b")] private int _count;

            public void Start()
            {
                _b.Lock();
                _count++;
                _b.Unlock();
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task MissingReturnValue() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public int Start()
            {
                {|#0:_m.Lock()|};
                {|#1:return;|}
            }
        }
        """, new VerifyOptions { AllowCompilerErrors = true }, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));
}
