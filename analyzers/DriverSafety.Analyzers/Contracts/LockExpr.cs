using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    internal enum LockRootKind
    {
        This,
        Parameter,
        Static,

        /// <summary>The method's return value (lifetime targets only: <c>[Begins(Target = "return")]</c>).</summary>
        Return,
    }

    /// <summary>
    /// A resolved lock expression of an annotation (SPEC section 4), independent of any call site:
    /// <c>this</c>, a parameter (by ordinal) or a static type, followed by a path of fields and properties.
    /// </summary>
    internal sealed class LockExpr
    {
        public LockExpr(LockRootKind kind, int parameterOrdinal, INamedTypeSymbol? staticType, ImmutableArray<ISymbol> members, string text)
        {
            Kind = kind;
            ParameterOrdinal = parameterOrdinal;
            StaticType = staticType;
            Members = members;
            Text = text;
        }

        public LockRootKind Kind { get; }
        public int ParameterOrdinal { get; }
        public INamedTypeSymbol? StaticType { get; }
        public ImmutableArray<ISymbol> Members { get; }

        /// <summary>The expression as written in the annotation.</summary>
        public string Text { get; }

        public static LockExpr ThisLock { get; } = new LockExpr(LockRootKind.This, -1, null, ImmutableArray<ISymbol>.Empty, "this");

        /// <summary>Replaces the root by the access paths of a frame (a call site's receiver and arguments, or a body's own this and parameters).</summary>
        public AccessPath? Substitute(AccessPath? thisPath, Func<int, AccessPath?> parameterPath)
        {
            AccessPath? root = Kind switch
            {
                LockRootKind.This => thisPath,
                LockRootKind.Parameter => parameterPath(ParameterOrdinal),
                LockRootKind.Static => AccessPath.ForStatic(StaticType!),
                _ => null,
            };
            return root?.Append(Members);
        }

        public override string ToString() => Text;
    }

    internal enum PathRootKind
    {
        This,
        Parameter,
        Local,
        Static,
    }

    /// <summary>
    /// An access path in one body (<c>this.Resv</c>, <c>gem.Resv</c>, <c>Device.StructMutex</c>): the identity of a lock.
    /// Two lock expressions denote the same lock when their access paths are equal (no alias analysis, as in Clang).
    /// </summary>
    internal sealed class AccessPath : IEquatable<AccessPath>
    {
        private readonly int _hash;

        private AccessPath(PathRootKind kind, ISymbol? root, ImmutableArray<ISymbol> members)
        {
            Kind = kind;
            Root = root;
            Members = members;
            var hash = (int)kind * 397 ^ (root is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(root));
            foreach (var member in members)
            {
                hash = hash * 31 + SymbolEqualityComparer.Default.GetHashCode(member);
            }

            _hash = hash;
        }

        public PathRootKind Kind { get; }

        /// <summary>The parameter, local or static type at the root; null for <c>this</c>.</summary>
        public ISymbol? Root { get; }

        public ImmutableArray<ISymbol> Members { get; }

        public static AccessPath This { get; } = new AccessPath(PathRootKind.This, null, ImmutableArray<ISymbol>.Empty);

        public static AccessPath ForParameter(IParameterSymbol parameter) => new AccessPath(PathRootKind.Parameter, parameter.OriginalDefinition, ImmutableArray<ISymbol>.Empty);

        public static AccessPath ForLocal(ILocalSymbol local) => new AccessPath(PathRootKind.Local, local, ImmutableArray<ISymbol>.Empty);

        public static AccessPath ForStatic(INamedTypeSymbol type) => new AccessPath(PathRootKind.Static, type.OriginalDefinition, ImmutableArray<ISymbol>.Empty);

        public AccessPath Append(ISymbol member) => new AccessPath(Kind, Root, Members.Add(Canonical(member)));

        public AccessPath Append(ImmutableArray<ISymbol> members) =>
            members.IsEmpty ? this : new AccessPath(Kind, Root, Members.AddRange(members.Select(Canonical)));

        /// <summary>The type of the value the path denotes.</summary>
        public ITypeSymbol? Type => Members.IsEmpty
            ? Root switch
            {
                IParameterSymbol p => p.Type,
                ILocalSymbol l => l.Type,
                INamedTypeSymbol t => t,
                _ => null,
            }
            : MemberType(Members[Members.Length - 1]);

        public bool Equals(AccessPath? other)
        {
            if (other is null || other._hash != _hash || other.Kind != Kind || other.Members.Length != Members.Length)
            {
                return false;
            }

            if (!SymbolEqualityComparer.Default.Equals(Root, other.Root))
            {
                return false;
            }

            for (var i = 0; i < Members.Length; i++)
            {
                if (!SymbolEqualityComparer.Default.Equals(Members[i], other.Members[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is AccessPath other && Equals(other);

        public override int GetHashCode() => _hash;

        /// <summary>The path as a user writes it: <c>Resv</c> for <c>this.Resv</c>, <c>gem.Resv</c>, <c>Device.StructMutex</c>.</summary>
        public override string ToString()
        {
            var root = Kind switch
            {
                PathRootKind.This => Members.IsEmpty ? "this" : null,
                PathRootKind.Static => Root!.Name,
                _ => Root!.Name,
            };
            var tail = string.Join(".", Members.Select(m => m.Name));
            return root is null ? tail : Members.IsEmpty ? root : root + "." + tail;
        }

        /// <summary>
        /// One symbol per lock member however it is reached: a property is named by the root declaration it overrides
        /// or implements, so <c>IOps.Lock</c> in an interface contract and <c>Impl.Lock</c> in the body are the same lock.
        /// </summary>
        internal static ISymbol Canonical(ISymbol member)
        {
            if (member is not IPropertySymbol property)
            {
                return member.OriginalDefinition;
            }

            property = property.OriginalDefinition;
            while (property.OverriddenProperty is { } overridden)
            {
                property = overridden.OriginalDefinition;
            }

            if (!property.ExplicitInterfaceImplementations.IsEmpty)
            {
                return property.ExplicitInterfaceImplementations[0].OriginalDefinition;
            }

            var type = property.ContainingType;
            if (type is not null && type.TypeKind != TypeKind.Interface)
            {
                foreach (var iface in type.AllInterfaces)
                {
                    foreach (var candidate in iface.GetMembers(property.Name))
                    {
                        if (candidate is IPropertySymbol && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(candidate)?.OriginalDefinition, property))
                        {
                            return candidate.OriginalDefinition;
                        }
                    }
                }
            }

            return property;
        }

        internal static ITypeSymbol? MemberType(ISymbol member) => member switch
        {
            IFieldSymbol f => f.Type,
            IPropertySymbol p => p.Type,
            _ => null,
        };
    }
}
