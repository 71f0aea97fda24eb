using System;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// One call, resolved once: the operation (an invocation, a constructor, an accessor of a property or indexer, an
    /// operator, the <c>lock</c> statement's monitor calls, an implicit <c>Dispose</c>), the method it binds to
    /// statically, the access paths of its receiver and arguments, and where a finding about it goes.
    /// </summary>
    internal sealed class CallSite
    {
        private readonly ImmutableArray<AccessPath?> _arguments;
        private readonly ImmutableArray<ValueKey?> _argumentKeys;

        private readonly Func<IOperation, Location>? _locate;
        private Location? _location;

        /// <summary>A call site whose report location is found only if something is reported there (most calls report nothing).</summary>
        public CallSite(IOperation operation, IMethodSymbol method, ISymbol callee, AccessPath? receiver, ImmutableArray<AccessPath?> arguments,
            ImmutableArray<ValueKey?> argumentKeys, ValueKey? receiverKey, ValueKey resultKey, bool resultDropped, Func<IOperation, Location>? locate,
            INamedTypeSymbol? convertedTo = null)
        {
            ConvertedTo = convertedTo;
            Operation = operation;
            Method = method;
            Callee = callee;
            Receiver = receiver;
            _arguments = arguments;
            _argumentKeys = argumentKeys;
            ReceiverKey = receiverKey;
            ResultKey = resultKey;
            ResultDropped = resultDropped;
            _locate = locate;
        }

        public IOperation Operation { get; }

        /// <summary>
        /// Not a call but a method group converted to this delegate type (<c>Scan(n, PurgeOne)</c>): the method runs
        /// wherever the delegate is invoked, so sources check its contract against the type's instead of applying it.
        /// </summary>
        public INamedTypeSymbol? ConvertedTo { get; }
        public IMethodSymbol Method { get; }

        /// <summary>What the user calls: the method, or the property/indexer whose accessor runs.</summary>
        public ISymbol Callee { get; }

        /// <summary>The receiver's access path (<c>this</c> for an implicit receiver; null for a static method or an unnamable receiver).</summary>
        public AccessPath? Receiver { get; }
        public ValueKey? ReceiverKey { get; }

        /// <summary>The key the call's result is known by until it is stored.</summary>
        public ValueKey ResultKey { get; }

        /// <summary>The call is a statement of its own: its result is dropped.</summary>
        public bool ResultDropped { get; }

        /// <summary>Where findings about this call are reported (SPEC §5: the invocation, or the syntax of a site that is not one).</summary>
        public Location Location => _location ??= _locate is null ? Operation.Syntax.GetLocation() : _locate(Operation);

        /// <summary>The access path of the argument passed for the parameter at <paramref name="ordinal"/>.</summary>
        public AccessPath? Argument(int ordinal) => ordinal >= 0 && ordinal < _arguments.Length ? _arguments[ordinal] : null;

        /// <summary>The key of the value passed for the parameter at <paramref name="ordinal"/> (a local, a capture, a call result).</summary>
        public ValueKey? ArgumentKey(int ordinal) => ordinal >= 0 && ordinal < _argumentKeys.Length ? _argumentKeys[ordinal] : null;

        /// <summary>Substitutes a contract's lock expression into this call's frame.</summary>
        public AccessPath? Substitute(LockExpr expr) => expr.Substitute(Receiver, Argument);
    }
}
