# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Names and profiles of the simulated master data (all start with ``SIM``)."""

from typing import NamedTuple

PREFIX = "SIM"


class WarehouseProfile(NamedTuple):
    name: str
    code: str
    share: float  # of the orders
    tz: str
    params: dict  # Workflow Monitor parameters of the warehouse


WAREHOUSES = (
    WarehouseProfile(
        "SIM North",
        "SIMN",
        0.5,
        "Europe/Brussels",
        {
            "workflow_cutoff_time": 14.0,
            "workflow_late_tolerance_hours": 4.0,
            "workflow_backorder_aging_days": 5.0,
            "workflow_allocation_delay_hours": 24.0,
            "workflow_target_fill_rate": 95.0,
            "workflow_target_on_time": 92.0,
        },
    ),
    WarehouseProfile(
        "SIM South",
        "SIMS",
        0.3,
        "Europe/Madrid",
        {
            "workflow_cutoff_time": 15.0,
            "workflow_late_tolerance_hours": 6.0,
            "workflow_backorder_aging_days": 4.0,
            "workflow_allocation_delay_hours": 12.0,
            "workflow_target_fill_rate": 92.0,
            "workflow_target_on_time": 90.0,
        },
    ),
    WarehouseProfile(
        "SIM East",
        "SIME",
        0.2,
        "Europe/Warsaw",
        {
            "workflow_cutoff_time": 13.0,
            "workflow_late_tolerance_hours": 2.0,
            "workflow_backorder_aging_days": 3.0,
            "workflow_allocation_delay_hours": 8.0,
            "workflow_target_fill_rate": 97.0,
            "workflow_target_on_time": 95.0,
        },
    ),
)
# how much more (or less) often than the share a delivery of a warehouse is held late,
# and a delivery of every fifth customer ("difficult" ones: remote sites, changing
# orders) compared with the others; the averages stay near 1, so the share holds, and
# the breach-risk model has causes to learn from
LATE_FACTORS = {"SIMN": 0.5, "SIMS": 1.0, "SIME": 2.5}
DIFFICULT_CUSTOMER_EVERY = 5
DIFFICULT_CUSTOMER_FACTOR = 2.5
OTHER_CUSTOMER_FACTOR = 0.625

PRODUCT_WORDS = (
    "Pallet Wrap",
    "Shelf Bracket",
    "Cable Drum",
    "Safety Gloves",
    "Label Roll",
    "Packing Tape",
    "Steel Bolt M8",
    "Hand Truck",
    "Bin Divider",
    "LED Panel",
    "Floor Marker",
    "Carton Box L",
    "Carton Box S",
    "Stretch Film",
    "Scanner Holster",
    "Hi-Vis Vest",
    "Tool Case",
    "Cable Ties",
    "Bubble Wrap",
    "Storage Crate",
    "Work Lamp",
    "Pallet Jack Wheel",
    "Dock Bumper",
    "Spill Kit",
)
CITIES = ("Antwerp", "Lyon", "Porto", "Gdansk", "Turin", "Ghent", "Bilbao", "Poznan", "Lille")


class UserProfile(NamedTuple):
    login: str
    name: str
    role: str  # "sales", "buyer", "warehouse", "approver"
    groups: tuple  # XML ids of the groups (those of uninstalled modules are skipped)


# the people the simulator acts as (logins start with "sim."; password: none, no login)
USERS = (
    UserProfile("sim.sales.verbeke", "Anna Verbeke", "sales", ("sales_team.group_sale_salesman",)),
    UserProfile("sim.sales.moreau", "Julien Moreau", "sales", ("sales_team.group_sale_salesman",)),
    UserProfile("sim.buyer.kowalski", "Marta Kowalski", "buyer", ("purchase.group_purchase_user",)),
    UserProfile("sim.warehouse.silva", "Rui Silva", "warehouse", ("stock.group_stock_user",)),
    UserProfile(
        "sim.approver.dubois",
        "Claire Dubois",
        "approver",
        (
            "sales_team.group_sale_manager",
            "workflow_monitor_base.group_workflow_manager",
        ),
    ),
    UserProfile(
        "sim.approver.jansen",
        "Pieter Jansen",
        "approver",
        (
            "purchase.group_purchase_manager",
            "stock.group_stock_manager",
            "workflow_monitor_base.group_workflow_manager",
        ),
    ),
)
