using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// Which methods of the compilation return a fresh object (SPEC §7.13): every <c>return</c> returns a <c>new</c>
    /// object or the result of a method that does. Decided from the bodies' syntax, once per method; recursion counts as
    /// not fresh.
    /// </summary>
    internal static class FreshObjects
    {
        private static readonly ConditionalWeakTable<ContractProvider, ConcurrentDictionary<IMethodSymbol, bool>> Caches =
            new ConditionalWeakTable<ContractProvider, ConcurrentDictionary<IMethodSymbol, bool>>();

        public static bool Returns(ContractProvider contracts, IMethodSymbol method)
        {
            var cache = Caches.GetValue(contracts, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
            method = method.OriginalDefinition;
            if (cache.TryGetValue(method, out var known))
            {
                return known;
            }

            if (method.DeclaringSyntaxReferences.Length != 1)
            {
                // Asked at every call: a method from metadata (or a partial one) is never decided fresh from syntax.
                return false;
            }

            return Returns(contracts, method, cache, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
        }

        private static bool Returns(ContractProvider contracts, IMethodSymbol method, ConcurrentDictionary<IMethodSymbol, bool> cache, HashSet<IMethodSymbol> visiting)
        {
            if (cache.TryGetValue(method, out var known))
            {
                return known;
            }

            if (method.IsAbstract || method.IsVirtual || method.IsExtern || method.DeclaringSyntaxReferences.Length != 1 || !visiting.Add(method))
            {
                return false;
            }

            var result = Decide(contracts, method, cache, visiting);
            visiting.Remove(method);
            cache[method] = result;
            return result;
        }

        private static bool Decide(ContractProvider contracts, IMethodSymbol method, ConcurrentDictionary<IMethodSymbol, bool> cache, HashSet<IMethodSymbol> visiting)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
            var returned = new List<ExpressionSyntax>();
            switch (syntax)
            {
                case BaseMethodDeclarationSyntax { ExpressionBody: { } arrow }:
                    returned.Add(arrow.Expression);
                    break;
                case BaseMethodDeclarationSyntax { Body: { } body }:
                    foreach (var node in body.DescendantNodes(n => n is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax)))
                    {
                        if (node is ReturnStatementSyntax ret)
                        {
                            if (ret.Expression is null)
                            {
                                return false;
                            }

                            returned.Add(ret.Expression);
                        }
                    }

                    break;
                default:
                    return false;
            }

            if (returned.Count == 0)
            {
                return false;
            }

            var model = contracts.Models.For(syntax.SyntaxTree);
            var any = false;
            foreach (var expression in returned)
            {
                switch (Shape(contracts, model, expression, cache, visiting))
                {
                    case Kind.Fresh:
                        any = true;
                        break;
                    case Kind.Null:
                        break;
                    default:
                        return false;
                }
            }

            return any;
        }

        private enum Kind
        {
            Other,
            Fresh,
            Null,
        }

        /// <summary>A returned expression: a new object, null (a factory that fails returns no object at all), or anything else.</summary>
        private static Kind Shape(ContractProvider contracts, SemanticModel model, ExpressionSyntax expression, ConcurrentDictionary<IMethodSymbol, bool> cache, HashSet<IMethodSymbol> visiting)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            switch (expression)
            {
                case ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax:
                    return Kind.Fresh;
                case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.NullLiteralExpression) || literal.IsKind(SyntaxKind.DefaultLiteralExpression):
                    return Kind.Null;
                case ConditionalExpressionSyntax conditional:
                    var whenTrue = Shape(contracts, model, conditional.WhenTrue, cache, visiting);
                    var whenFalse = Shape(contracts, model, conditional.WhenFalse, cache, visiting);
                    return whenTrue == Kind.Other || whenFalse == Kind.Other ? Kind.Other : whenTrue == Kind.Fresh || whenFalse == Kind.Fresh ? Kind.Fresh : Kind.Null;
                case InvocationExpressionSyntax invocation when model.GetSymbolInfo(invocation).Symbol is IMethodSymbol callee &&
                    callee.ReturnType.IsReferenceType && Returns(contracts, callee.OriginalDefinition, cache, visiting):
                    return Kind.Fresh;
                case IdentifierNameSyntax name when model.GetSymbolInfo(name).Symbol is ILocalSymbol local && local.DeclaringSyntaxReferences.Length == 1 &&
                    local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } initial } declarator &&
                    !Reassigned(model, declarator, local):
                    // `var table = Alloc(...); ...; return table;`: a local never assigned again holds what it was initialised with.
                    return Shape(contracts, model, initial, cache, visiting) == Kind.Fresh ? Kind.Fresh : Kind.Other;
                default:
                    return Kind.Other;
            }
        }

        private static bool Reassigned(SemanticModel model, VariableDeclaratorSyntax declarator, ILocalSymbol local)
        {
            var scope = declarator.FirstAncestorOrSelf<BlockSyntax>() ?? (SyntaxNode?)declarator.Parent;
            if (scope is null)
            {
                return true;
            }

            foreach (var node in scope.DescendantNodes())
            {
                var written = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                    PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } address => address.Operand,
                    _ => null,
                };
                if (written is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == local.Name &&
                    SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier).Symbol, local))
                {
                    return true;
                }
            }

            return false;
        }
    }
}

