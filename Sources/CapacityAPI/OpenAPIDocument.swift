import Scaling

/// `GET /openapi.json`: the listener's routes as OpenAPI 3.0, served from the binary, for the mode the server runs
/// in (the operator fields of an update exist in production mode only). Each path comes from its route's
/// declaration, so a route cannot be served undocumented; the tests validate the document with
/// openapi-spec-validator and run schemathesis against a running server in every mode, so it cannot drift from
/// what the server does.
enum OpenAPIDocument {
    /// The route that serves the document of `routes` and of itself.
    static func route(documenting routes: [Route], mode: ScalingMode,
                      maxCapacity: Double = DimensionUpdate.defaultMaxCapacity) -> Route {
        var route = Route("/openapi.json", [Route.Operation(.get, openAPI: operation) { _, _, _ in nil }])
        let body = Array(json(routes: routes + [route], mode: mode, maxCapacity: maxCapacity).utf8)
        route.operations[0].handler = { _, _, _ in JSONContent.response(body) }
        return route
    }

    static func json(routes: [Route], mode: ScalingMode, maxCapacity: Double = DimensionUpdate.defaultMaxCapacity) -> String {
        let paths = routes.map { route in
            var members = route.parameter.map { ["\"parameters\": [" + $0.schema + "]"] } ?? []
            members += route.operations.map { "\"" + $0.method.name.lowercased() + "\": " + $0.openAPI }
            return "\n        \"" + route.openAPIPath + "\": {\n          " + members.joined(separator: ",\n          ")
                + "\n        }"
        }
        return template.replacing("UPDATE_SCHEMA", with: mode == .production ? productionUpdate : awsUpdate)
            .replacing("MAX_CAPACITY", with: DimensionUpdate.describe(maxCapacity))
            .replacing("{PATHS}", with: "{" + paths.joined(separator: ",") + "\n      }")
    }

    private static let operation = #"""
    {
            "operationId": "getOpenAPI",
            "summary": "This document.",
            "responses": {
              "200": {"description": "OpenAPI 3.", "content": {"application/json": {"schema": {"type": "object"}}}}
            }
          }
    """#

    /// Outside production mode only AWS's field is accepted.
    private static let awsUpdate = #"""
    {
            "type": "object",
            "additionalProperties": false,
            "required": ["desiredCapacity"],
            "description": "AWS sets desiredCapacity; the operator fields exist in production mode only.",
            "properties": {"desiredCapacity": {"type": "number", "minimum": 0, "maximum": MAX_CAPACITY}}
          }
    """#

    private static let productionUpdate = #"""
    {
            "type": "object",
            "additionalProperties": false,
            "minProperties": 1,
            "description": "AWS sets desiredCapacity; the operator's scaling system reports actualCapacity, scalingStatus and failureReason.",
            "properties": {
              "desiredCapacity": {"type": "number", "minimum": 0, "maximum": MAX_CAPACITY},
              "actualCapacity": {"type": "number", "minimum": 0, "maximum": MAX_CAPACITY},
              "scalingStatus": {"$ref": "#/components/schemas/ScalingStatus"},
              "failureReason": {"type": "string", "nullable": true, "maxLength": 1024}
            }
          }
    """#

    private static let template = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "capacityd",
        "version": "1.0.0",
        "description": "The REST backend AWS Application Auto Scaling calls (through API Gateway) for a custom resource. AWS reads and sets desiredCapacity; in production mode the operator's scaling system reports actualCapacity, scalingStatus and failureReason. Every error is {\"message\": ...}."
      },
      "paths": {PATHS},
      "components": {
        "responses": {
          "Error": {"description": "An error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Dimension": {"description": "The dimension.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}},
          "NotModified": {"description": "The dimension is at a revision If-None-Match names (after the wait Prefer asked for, in production mode); no body.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}, "Preference-Applied": {"$ref": "#/components/headers/PreferenceApplied"}}},
          "PreconditionFailed": {"description": "If-Match names none of the dimension's revision (or it does not exist), or a PATCH's If-None-Match names it; nothing changed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "headers": {
          "ETag": {"description": "The dimension's revision in quotes: it grows with every change and never comes back.", "schema": {"type": "string", "pattern": "^\"[0-9]+\"$"}},
          "PreferenceApplied": {"description": "wait=N when the GET waited (a long-poll).", "schema": {"type": "string", "pattern": "^wait=[0-9]+$"}}
        },
        "parameters": {
          "IfMatch": {"name": "If-Match", "in": "header", "required": false, "description": "Apply only if the dimension is at one of these ETags (strong comparison); * requires nothing. A value that is not a list of entity tags names none, so the request is refused.", "schema": {"type": "string"}, "example": "\"1\""},
          "PreferWait": {"name": "Prefer", "in": "header", "required": false, "description": "wait=N (RFC 7240) with If-None-Match in production mode: a long-poll that answers as soon as the dimension changes, or 304 after N seconds (at most --max-wait). Other preferences are ignored.", "schema": {"type": "string"}, "example": "wait=1"},
          "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": false, "description": "A GET answers 304 if the dimension is at one of these ETags (weak comparison, * for any); a PATCH is refused with 412. A value that is not a list of entity tags names none.", "schema": {"type": "string"}, "example": "\"1\""}
        },
        "schemas": {
          "ScalingStatus": {"type": "string", "enum": ["Pending", "InProgress", "Successful", "Failed"]},
          "ScalableTargetDimension": {
            "type": "object",
            "additionalProperties": false,
            "required": ["scalableTargetDimensionId", "version", "resourceName", "dimensionName", "actualCapacity", "desiredCapacity", "scalingStatus"],
            "properties": {
              "scalableTargetDimensionId": {"type": "string"},
              "version": {"type": "string"},
              "resourceName": {"type": "string"},
              "dimensionName": {"type": "string"},
              "actualCapacity": {"type": "number", "minimum": 0},
              "desiredCapacity": {"type": "number", "minimum": 0},
              "scalingStatus": {"$ref": "#/components/schemas/ScalingStatus"},
              "failureReason": {"type": "string"}
            }
          },
          "ScalableTargetDimensionUpdate": UPDATE_SCHEMA,
          "AdminFields": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "version": {"type": "string"},
              "resourceName": {"type": "string"},
              "dimensionName": {"type": "string"},
              "actualCapacity": {"type": "number", "minimum": 0},
              "desiredCapacity": {"type": "number", "minimum": 0},
              "scalingStatus": {"$ref": "#/components/schemas/ScalingStatus"},
              "failureReason": {"type": "string", "nullable": true, "maxLength": 1024}
            }
          },
          "WebhookEvent": {
            "type": "object",
            "additionalProperties": false,
            "required": ["webhookId", "scalableTargetDimensionId", "revision", "receiver", "time", "attempts", "dueAt", "dropped"],
            "properties": {
              "webhookId": {"type": "string"},
              "scalableTargetDimensionId": {"type": "string"},
              "revision": {"type": "integer", "minimum": 0},
              "receiver": {"type": "string"},
              "time": {"type": "string", "format": "date-time"},
              "attempts": {"type": "integer", "minimum": 0},
              "dueAt": {"type": "string", "format": "date-time"},
              "dropped": {"type": "boolean"}
            }
          },
          "Error": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}}
          },
          "Time": {
            "type": "object",
            "additionalProperties": false,
            "required": ["The current epoch time"],
            "properties": {"The current epoch time": {"type": "integer"}}
          },
          "Liveness": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["ok"]}}
          },
          "Readiness": {
            "type": "object",
            "required": ["status", "certificates"],
            "properties": {
              "status": {"type": "string", "enum": ["ready", "unavailable"]},
              "message": {"type": "string"},
              "certificates": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": ["role", "subject", "daysLeft"],
                  "properties": {"role": {"type": "string"}, "subject": {"type": "string"}, "daysLeft": {"type": "integer"}}
                }
              }
            }
          }
        }
      }
    }
    """#
}
