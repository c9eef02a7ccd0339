import Scaling

/// `GET /openapi.json`: the whole API as OpenAPI 3.0, served from the binary, for the mode the server runs in
/// (the operator fields of an update exist in production mode only). The tests validate it with
/// openapi-spec-validator and run schemathesis against a running server in every mode, so it cannot drift from
/// what the server does.
enum OpenAPIDocument {
    static func json(mode: ScalingMode) -> String {
        template.replacing("UPDATE_SCHEMA", with: mode == .production ? productionUpdate : awsUpdate)
    }

    /// Outside production mode only AWS's field is accepted.
    private static let awsUpdate = #"""
    {
            "type": "object",
            "additionalProperties": false,
            "required": ["desiredCapacity"],
            "description": "AWS sets desiredCapacity; the operator fields exist in production mode only.",
            "properties": {"desiredCapacity": {"type": "number", "minimum": 0}}
          }
    """#

    private static let productionUpdate = #"""
    {
            "type": "object",
            "additionalProperties": false,
            "minProperties": 1,
            "description": "AWS sets desiredCapacity; the operator's scaling system reports actualCapacity, scalingStatus and failureReason.",
            "properties": {
              "desiredCapacity": {"type": "number", "minimum": 0},
              "actualCapacity": {"type": "number", "minimum": 0},
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
      "paths": {
        "/v1/scalableTargetDimensions/{scalableTargetDimensionId}": {
          "parameters": [
            {
              "name": "scalableTargetDimensionId",
              "in": "path",
              "required": true,
              "description": "1-128 characters of A-Z a-z 0-9 . _ : - (percent-encoded or not), not . or ..",
              "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9._:-]+$"}
            }
          ],
          "get": {
            "operationId": "getScalableTargetDimension",
            "summary": "Read a dimension; in the demo and step modes this also advances an unfinished one.",
            "responses": {
              "200": {"description": "The dimension.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          },
          "patch": {
            "operationId": "updateScalableTargetDimension",
            "summary": "Change a dimension; the answer comes once the change is on disk.",
            "description": "With --api-keys, setting actualCapacity, scalingStatus or failureReason needs a key in x-api-key or Authorization: Bearer (401 without one, 403 with a wrong one).",
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimensionUpdate"}}}
            },
            "responses": {
              "200": {"description": "The dimension after the change.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "411": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/time": {
          "get": {
            "operationId": "getTime",
            "summary": "The server's clock, in the old sample's shape.",
            "responses": {
              "200": {"description": "Epoch seconds.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Time"}}}}
            }
          }
        },
        "/healthz": {
          "get": {
            "operationId": "getLiveness",
            "summary": "Liveness: an event loop answered.",
            "responses": {
              "200": {"description": "Alive.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Liveness"}}}}
            }
          }
        },
        "/readyz": {
          "get": {
            "operationId": "getReadiness",
            "summary": "Readiness: the store is loaded and writable, its disk has room, the certificate is valid.",
            "responses": {
              "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
              "503": {"description": "Not ready, and why.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}
            }
          }
        },
        "/metrics": {
          "get": {
            "operationId": "getMetrics",
            "summary": "Prometheus text exposition.",
            "responses": {
              "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}
            }
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "getOpenAPI",
            "summary": "This document.",
            "responses": {
              "200": {"description": "OpenAPI 3.", "content": {"application/json": {"schema": {"type": "object"}}}}
            }
          }
        },
        "/admin/v1/dimensions": {
          "get": {
            "operationId": "adminListDimensions",
            "summary": "Every dimension (administrators; needs --api-keys and a key, else 404).",
            "responses": {
              "200": {"description": "The dimensions.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}}},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/admin/v1/dimensions/{scalableTargetDimensionId}": {
          "parameters": [
            {"name": "scalableTargetDimensionId", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9._:-]+$"}}
          ],
          "get": {
            "operationId": "adminGetDimension",
            "summary": "One dimension, without advancing it.",
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}
          },
          "post": {
            "operationId": "adminCreateDimension",
            "summary": "Create a dimension from the defaults and the given fields (409 if it exists).",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminFields"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          },
          "put": {
            "operationId": "adminSetDimension",
            "summary": "Set fields exactly as given (an override, not a scaling event).",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminFields"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          },
          "delete": {
            "operationId": "adminDeleteDimension",
            "summary": "Delete a dimension; answers it as it was.",
            "responses": {"200": {"$ref": "#/components/responses/Dimension"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}
          }
        },
        "/.well-known/acme-challenge/{token}": {
          "parameters": [
            {"name": "token", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,255}$"}}
          ],
          "get": {
            "operationId": "getACMEChallenge",
            "summary": "ACME HTTP-01 challenge file from --acme-webroot (404 unless configured and present).",
            "responses": {
              "200": {"description": "Key authorization.", "content": {"application/octet-stream": {"schema": {"type": "string"}}}},
              "404": {"$ref": "#/components/responses/Error"}
            }
          }
        }
      },
      "components": {
        "responses": {
          "Error": {"description": "An error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Dimension": {"description": "The dimension.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScalableTargetDimension"}}}}
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
